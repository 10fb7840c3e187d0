"""Playlist files other players read: write extended M3U8 and XSPF; read M3U/M3U8/PLS/XSPF.

Paths are written relative to the playlist's folder when the track lies under it (or beside
it), absolute otherwise; XSPF locations are file:// URIs as the spec asks. Reading resolves
relative entries against the playlist's folder and falls back to artist/title when a path is
not in the library.
"""

from __future__ import annotations

import os
import urllib.parse
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from recommender.core.errors import NotFoundError, UsageError
from recommender.library.matching import LibraryMatcher
from recommender.library.store import Store, path_to_db
from recommender.library.tracks import Track
from recommender.playlists.saved import save_playlist

XSPF_NS = "http://xspf.org/ns/0/"
FORMATS = (".m3u", ".m3u8", ".pls", ".xspf")


@dataclass(frozen=True)
class PlaylistEntry:
    """One entry read from a file: a location and what the file says about it."""

    location: str
    title: str | None = None
    artist: str | None = None
    duration_s: float | None = None


def _relative(track_path: str, folder: Path) -> str:
    """Relative to the playlist's folder where that stays inside a shared root, else absolute."""
    try:
        rel = os.path.relpath(track_path, folder)
    except ValueError:  # another drive on Windows
        return track_path
    return rel if not rel.startswith(os.pardir + os.sep + os.pardir) else track_path


def write_m3u8(tracks: list[Track], out: Path, *, name: str | None = None) -> None:
    """Extended M3U in UTF-8: #EXTM3U, an #EXTINF (seconds, "artist - title") per entry."""
    folder = out.resolve().parent
    lines = ["#EXTM3U"]
    if name:
        lines.append(f"#PLAYLIST:{name}")
    for t in tracks:
        seconds = round(t.duration) if t.duration else -1
        label = f"{t.artist} - {t.display_title}" if t.artist else t.display_title
        lines.append(f"#EXTINF:{seconds},{_one_line(label)}")
        lines.append(_relative(t.path, folder))
    _write_atomic(out, "\n".join(lines) + "\n")


def write_xspf(tracks: list[Track], out: Path, *, name: str | None = None) -> None:
    """XSPF 1: file:// locations, title, creator, album, duration in milliseconds."""
    ET.register_namespace("", XSPF_NS)
    root = ET.Element(f"{{{XSPF_NS}}}playlist", version="1")
    if name:
        ET.SubElement(root, f"{{{XSPF_NS}}}title").text = name
    track_list = ET.SubElement(root, f"{{{XSPF_NS}}}trackList")
    for t in tracks:
        el = ET.SubElement(track_list, f"{{{XSPF_NS}}}track")
        ET.SubElement(el, f"{{{XSPF_NS}}}location").text = Path(os.path.abspath(t.path)).as_uri()
        for tag, value in (("title", t.title), ("creator", t.artist), ("album", t.album)):
            if value:
                ET.SubElement(el, f"{{{XSPF_NS}}}{tag}").text = value
        if t.duration:
            ET.SubElement(el, f"{{{XSPF_NS}}}duration").text = str(round(t.duration * 1000))
    ET.indent(root)
    text = '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
    _write_atomic(out, text + "\n")


def write_playlist_file(tracks: list[Track], out: Path, *, name: str | None = None) -> None:
    suffix = out.suffix.lower()
    if suffix in (".m3u8", ".m3u"):
        write_m3u8(tracks, out, name=name)
    elif suffix == ".xspf":
        write_xspf(tracks, out, name=name)
    else:
        raise UsageError(f"cannot write {out.name}: use a .m3u8 or .xspf file name")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _write_atomic(out: Path, text: str) -> None:
    tmp = out.with_name(out.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)


def read_playlist_file(path: Path) -> list[PlaylistEntry]:
    """Entries of an M3U/M3U8, PLS or XSPF file; file locations become absolute paths."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise UsageError(f"cannot read {path.name}: expected one of {', '.join(FORMATS)}")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise NotFoundError(f"no such file: {path}") from None
    folder = path.resolve().parent
    if suffix == ".xspf":
        return _read_xspf(raw, folder, path)
    encoding = "latin-1" if suffix == ".m3u" and not _is_utf8(raw) else "utf-8-sig"
    text = raw.decode(encoding, errors="replace")
    return _read_pls(text, folder) if suffix == ".pls" else _read_m3u(text, folder)


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _location(value: str, folder: Path) -> str:
    value = value.strip()
    if value.startswith("file://"):
        return urllib.parse.unquote(urllib.parse.urlparse(value).path)
    if "://" in value:
        return value  # a stream URL: kept, reported as not in the library
    return os.path.normpath(os.path.join(folder, value))


def _read_m3u(text: str, folder: Path) -> list[PlaylistEntry]:
    entries: list[PlaylistEntry] = []
    info: tuple[float | None, str | None, str | None] = (None, None, None)
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("#EXTINF:"):
            seconds, _, label = line[8:].partition(",")
            artist, sep, title = label.partition(" - ")
            try:
                dur = float(seconds.split()[0]) if seconds.strip() else None
            except ValueError:
                dur = None
            info = (
                dur if dur and dur > 0 else None,
                artist if sep else None,
                title if sep else label,
            )
            continue
        if line.startswith("#"):
            continue
        entries.append(PlaylistEntry(_location(line, folder), info[2], info[1], info[0]))
        info = (None, None, None)
    return entries


def _read_pls(text: str, folder: Path) -> list[PlaylistEntry]:
    values: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep:
            values[key.strip().lower()] = value.strip()
    entries = []
    number = 1
    while f"file{number}" in values:
        length = values.get(f"length{number}")
        try:
            dur = float(length) if length else None
        except ValueError:
            dur = None
        title = values.get(f"title{number}")
        artist, sep, rest = (title or "").partition(" - ")
        entries.append(
            PlaylistEntry(
                _location(values[f"file{number}"], folder),
                rest if sep else title,
                artist if sep else None,
                dur if dur and dur > 0 else None,
            )
        )
        number += 1
    return entries


def _read_xspf(raw: bytes, folder: Path, path: Path) -> list[PlaylistEntry]:
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise UsageError(f"{path} is not valid XSPF: {exc}") from exc
    ns = {"x": XSPF_NS}
    entries = []
    for el in root.iterfind(".//x:trackList/x:track", ns):
        location = el.findtext("x:location", default="", namespaces=ns)
        duration = el.findtext("x:duration", default="", namespaces=ns)
        entries.append(
            PlaylistEntry(
                _location(location, folder) if location else "",
                el.findtext("x:title", namespaces=ns),
                el.findtext("x:creator", namespaces=ns),
                float(duration) / 1000 if duration.strip().isdigit() else None,
            )
        )
    return entries


@dataclass(frozen=True)
class PlaylistImport:
    playlist_id: int
    found: int
    not_found: list[PlaylistEntry]


def match_entries(
    store: Store, entries: list[PlaylistEntry]
) -> tuple[list[int], list[PlaylistEntry]]:
    """Library track ids for entries (by path, else artist + title) and the entries not found."""
    matcher: LibraryMatcher | None = None
    ids: list[int] = []
    missing: list[PlaylistEntry] = []
    for entry in entries:
        row = None
        if entry.location:
            row = store.conn.execute(
                "SELECT id FROM tracks WHERE path = ?", (path_to_db(entry.location),)
            ).fetchone()
        if row is not None:
            ids.append(row[0])
            continue
        if entry.title:
            matcher = matcher or LibraryMatcher.from_store(store)
            tid = matcher.match(entry.artist, entry.title)
            if tid is not None:
                ids.append(tid)
                continue
        missing.append(entry)
    return ids, missing


def import_playlist_file(store: Store, path: Path, name: str | None = None) -> PlaylistImport:
    """Read a playlist file into a new saved playlist; entries not in the library are reported."""
    entries = read_playlist_file(path)
    ids, missing = match_entries(store, entries)
    playlist_id = save_playlist(store, name or path.stem, ids)
    return PlaylistImport(playlist_id, len(ids), missing)
