"""Files handed to Tonearm from outside (`tonearm FILE...`, a file manager, MPRIS OpenUri).

They are played as tracks of the library: a file the library already knows keeps its history;
one it lacks is scanned in first (without touching the rest of the library), so plays of it are
recorded like any other. Folders stand for the audio files inside them; a playlist file
(M3U/M3U8, PLS, XSPF) for its entries, in its order: each found on disk, else in the library
(see `recommender.playlists.files.match_entries`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from recommender.core.errors import TonearmError
from recommender.core.progress import CancelCheck, never_cancel
from recommender.library.scan import scan_files
from recommender.library.store import Store
from recommender.library.tags import AUDIO_EXTENSIONS
from recommender.library.tracks import present_ids_by_path
from recommender.library.walk import walk_audio_files
from recommender.playlists.files import FORMATS as PLAYLIST_FORMATS
from recommender.playlists.files import PlaylistEntry, match_entries, read_playlist


@dataclass
class OpenedFiles:
    """What became of the files asked for: the tracks to play, in the order given."""

    track_ids: list[int] = field(default_factory=list)
    added: int = 0
    """Tracks new to the library (the GUI reloads its table when this is non-zero)."""
    problems: list[str] = field(default_factory=list)
    """One person-readable line per file that cannot be played."""


def expand_paths(paths: Iterable[str]) -> list[str]:
    """Absolute file paths: folders become their audio files (sorted, as a scan walks them)."""
    out: list[str] = []
    for raw in paths:
        path = os.path.normpath(os.path.abspath(os.path.expanduser(raw)))
        if os.path.isdir(path):
            out.extend(f.path for f in walk_audio_files([path]))
        else:
            out.append(path)
    return list(dict.fromkeys(out))


def open_files(
    store: Store,
    paths: Iterable[str],
    *,
    library_folders: Iterable[str] = (),
    cancel: CancelCheck = never_cancel,
) -> OpenedFiles:
    """Track ids for `paths`, scanning in the files the library lacks (or has as missing)."""
    result = OpenedFiles()
    wanted = _expand_playlists(store, expand_paths(paths), result.problems)
    files = [w for w in wanted if isinstance(w, str)]
    ids = present_ids_by_path(store, files)
    unknown = [p for p in files if p not in ids]
    unknown_audio = []
    for path in unknown:
        if not os.path.exists(path):
            result.problems.append(f"{os.path.basename(path)}: no such file")
        elif os.path.splitext(path)[1].lower() not in AUDIO_EXTENSIONS:
            result.problems.append(f"{os.path.basename(path)}: not an audio file")
        else:
            unknown_audio.append(path)
    if unknown_audio and not cancel():
        summary = scan_files(store, unknown_audio, roots=library_folders)
        result.added = summary.added + summary.updated + summary.moved
        result.problems.extend(
            f"{os.path.basename(e.path)}: {e.reason}" for e in summary.new_errors
        )
        ids.update(present_ids_by_path(store, unknown_audio))
    result.track_ids = [
        w if isinstance(w, int) else ids[w] for w in wanted if isinstance(w, int) or w in ids
    ]
    return result


def _expand_playlists(store: Store, files: list[str], problems: list[str]) -> list[str | int]:
    """Playlist files replaced by their entries: a path where the file is on disk, else the
    library track the entry names (a Windows path, artist and title), else a problem line."""
    out: list[str | int] = []
    for path in files:
        if os.path.splitext(path)[1].lower() not in PLAYLIST_FORMATS or not os.path.isfile(path):
            out.append(path)
            continue
        try:
            entries = read_playlist(Path(path)).entries
        except TonearmError as exc:
            problems.append(f"{os.path.basename(path)}: {exc}")
            continue
        on_disk = [e for e in entries if e.location and os.path.isfile(e.location)]
        on_disk_ids = {id(e) for e in on_disk}
        others: list[PlaylistEntry] = [e for e in entries if id(e) not in on_disk_ids]
        matched, missing = match_entries(store, others)
        found = iter(matched)
        missing_ids = {id(e) for e in missing}
        for entry in entries:
            if id(entry) in on_disk_ids:
                out.append(entry.location)
            elif id(entry) not in missing_ids:
                out.append(next(found))
        if missing:
            problems.append(
                f"{os.path.basename(path)}: {len(missing)} of {len(entries)} entries not found"
            )
    return out
