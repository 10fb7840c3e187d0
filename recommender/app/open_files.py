"""Files handed to Tonearm from outside (`tonearm FILE...`, a file manager, MPRIS OpenUri).

They are played as tracks of the library: a file the library already knows keeps its history;
one it lacks is scanned in first (without touching the rest of the library), so plays of it are
recorded like any other. Folders stand for the audio files inside them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field

from recommender.core.progress import CancelCheck, never_cancel
from recommender.library.scan import scan_files
from recommender.library.store import Store
from recommender.library.tags import AUDIO_EXTENSIONS
from recommender.library.tracks import present_ids_by_path
from recommender.library.walk import walk_audio_files


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
    files = expand_paths(paths)
    ids = _known_ids(store, files)
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
        ids.update(_known_ids(store, unknown_audio))
    result.track_ids = [ids[p] for p in files if p in ids]
    return result


def _known_ids(store: Store, paths: list[str]) -> dict[str, int]:
    """Present (not missing) tracks by path."""
    return present_ids_by_path(store, paths)
