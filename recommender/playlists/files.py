"""Playlist files other players read and write: M3U/M3U8, PLS and XSPF, both ways.

Writing: paths relative to the playlist's folder when the track lies under it (or beside it),
absolute otherwise; an entry whose relative path would start with `#` (a folder "#1 Hits") is
written as `./#1 Hits/...`, since every M3U reader takes a leading `#` for a comment. XSPF
locations are file:// URIs as the spec asks.

Reading follows what the players that write these files do:
- M3U from Windows (foobar2000, Winamp, MusicBee): `Artist\\Album\\01.flac`, `C:\\Music\\...`
  and CRLF line ends. Backslashes become folder separators; a Windows path is matched to the
  library without regard to case (Windows did not care either), and, when it is not there (a
  `C:\\` path, a playlist moved), by its last folders ("Artist/Album/01.flac" anywhere).
- XSPF (VLC, Quod Libet, Strawberry): `<location>` is a URI reference, resolved against
  `xml:base` (on any enclosing element) or the playlist's own URI, percent-escapes decoded.
- A playlist's name comes from `#PLAYLIST:` (M3U) or `<title>` (XSPF), else the file name.
- An entry whose file is not in the library falls back to artist and title, and accepts a
  same-named track only when the album (XSPF `<album>`, M3U `#EXTALB:`) and the duration agree.

No parser library is used. totem-pl-parser 3.26 (Debian, through GObject introspection),
tried on the same hand-written files, read `./#1 Hits/...` and turned backslashes into folders
(case-sensitively), but ignored `xml:base` and escaped the escapes of relative XSPF locations
(`Album%201` became `Album%25201`); it would add a system library and still leave the library
matching (case, last folders, album and duration) to us. The formats themselves are small.
"""

from __future__ import annotations

import os
import re
import urllib.parse
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from recommender.core.errors import NotFoundError, UsageError
from recommender.library.matching import LibraryMatcher
from recommender.library.store import Store, path_from_db, path_to_db
from recommender.library.tracks import Track
from recommender.playlists.saved import list_playlists, save_playlist

XSPF_NS = "http://xspf.org/ns/0/"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
FORMATS = (".m3u", ".m3u8", ".pls", ".xspf")
WRITE_FORMATS = (".m3u8", ".m3u", ".pls", ".xspf")
MIME_TYPES = (
    "audio/x-mpegurl", "audio/mpegurl", "application/x-mpegurl", "audio/x-scpls",
    "application/xspf+xml",
)  # fmt: skip
"""The playlist types the desktop file offers to open (shared-mime-info names)."""
SUFFIX_MATCH_MIN_PARTS = 2
"""An absolute path from another machine matches by at least its folder and file name."""

_DRIVE_RE = re.compile(r"^/?[A-Za-z]:[\\/]")


@dataclass(frozen=True)
class PlaylistEntry:
    """One entry read from a file: a location and what the file says about it."""

    location: str
    title: str | None = None
    artist: str | None = None
    duration_s: float | None = None
    album: str | None = None
    windows: bool = False
    """Written on Windows (backslashes or a drive letter): match paths without regard to case."""


@dataclass(frozen=True)
class PlaylistFile:
    """What a playlist file holds: its own name (None when it gives none) and its entries."""

    name: str | None
    entries: list[PlaylistEntry] = field(default_factory=list)


# --- writing ---------------------------------------------------------------------------------
def _relative(track_path: str, folder: Path) -> str:
    """Relative to the playlist's folder where that stays inside a shared root, else absolute."""
    try:
        rel = os.path.relpath(track_path, folder)
    except ValueError:  # another drive on Windows
        return track_path
    if rel.startswith(os.pardir + os.sep + os.pardir):
        return track_path
    return f".{os.sep}{rel}" if rel.startswith("#") else rel  # "#..." reads as a comment


def write_m3u8(tracks: list[Track], out: Path, *, name: str | None = None) -> None:
    """Extended M3U in UTF-8: #EXTM3U, an #EXTINF (seconds, "artist - title") per entry."""
    folder = out.resolve().parent
    lines = ["#EXTM3U"]
    if name:
        lines.append(f"#PLAYLIST:{_one_line(name)}")
    for t in tracks:
        seconds = round(t.duration) if t.duration else -1
        label = f"{t.artist} - {t.display_title}" if t.artist else t.display_title
        lines.append(f"#EXTINF:{seconds},{_one_line(label)}")
        if t.album:
            lines.append(f"#EXTALB:{_one_line(t.album)}")
        lines.append(_relative(t.path, folder))
    _write_atomic(out, "\n".join(lines) + "\n")


def write_pls(tracks: list[Track], out: Path, *, name: str | None = None) -> None:
    """PLS version 2 (Winamp's, read by VLC, mpv, Quod Libet): File/Title/Length per entry.
    PLS has no field for the playlist's name; the file name carries it."""
    del name
    folder = out.resolve().parent
    lines = ["[playlist]"]
    for n, t in enumerate(tracks, start=1):
        label = f"{t.artist} - {t.display_title}" if t.artist else t.display_title
        lines.append(f"File{n}={_relative(t.path, folder)}")
        lines.append(f"Title{n}={_one_line(label)}")
        lines.append(f"Length{n}={round(t.duration) if t.duration else -1}")
    lines += [f"NumberOfEntries={len(tracks)}", "Version=2"]
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
    """Write by the file name's suffix: .m3u8/.m3u, .pls or .xspf."""
    suffix = out.suffix.lower()
    if suffix in (".m3u8", ".m3u"):
        write_m3u8(tracks, out, name=name)
    elif suffix == ".pls":
        write_pls(tracks, out, name=name)
    elif suffix == ".xspf":
        write_xspf(tracks, out, name=name)
    else:
        raise UsageError(f"cannot write {out.name}: use a .m3u8, .pls or .xspf file name")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _write_atomic(out: Path, text: str) -> None:
    tmp = out.with_name(out.name + ".part")
    try:
        tmp.write_text(text, encoding="utf-8")
    except FileNotFoundError:
        raise NotFoundError(f"no such folder: {out.parent}") from None
    tmp.replace(out)


# --- reading ---------------------------------------------------------------------------------
def read_playlist(path: Path) -> PlaylistFile:
    """Name and entries of an M3U/M3U8, PLS or XSPF file; file locations become absolute."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise UsageError(f"cannot read {path.name}: expected one of {', '.join(FORMATS)}")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise NotFoundError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise UsageError(f"{path} is a folder, not a playlist") from None
    folder = path.resolve().parent
    if suffix == ".xspf":
        return _read_xspf(raw, path)
    encoding = "utf-8-sig" if suffix == ".m3u8" or _is_utf8(raw) else "cp1252"
    text = raw.decode(encoding, errors="replace")
    return _read_pls(text, folder) if suffix == ".pls" else _read_m3u(text, folder)


def read_playlist_file(path: Path) -> list[PlaylistEntry]:
    """The entries of a playlist file (see `read_playlist`)."""
    return read_playlist(path).entries


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _is_windows_path(value: str) -> bool:
    return "\\" in value or bool(_DRIVE_RE.match(value))


def _location(value: str, folder: Path) -> tuple[str, bool]:
    """An absolute local path (or a stream URL, kept as it is) and whether it is a Windows one."""
    value = value.strip()
    if value.lower().startswith("file:"):
        return _file_uri_path(value)
    if "://" in value:
        return value, False  # a stream URL: kept, reported as not in the library
    windows = _is_windows_path(value)
    if windows:
        value = value.replace("\\", "/")
        if _DRIVE_RE.match(value):
            return value, True  # C:/Music/...: absolute on another machine
    return os.path.normpath(os.path.join(folder, value)), windows


def _file_uri_path(uri: str) -> tuple[str, bool]:
    path = urllib.parse.unquote(urllib.parse.urlsplit(uri).path)
    if _DRIVE_RE.match(path):  # file:///C:/Music/x.flac
        return path.lstrip("/"), True
    return os.path.normpath(path) if path else "", False


def _read_m3u(text: str, folder: Path) -> PlaylistFile:
    entries: list[PlaylistEntry] = []
    name: str | None = None
    info: dict[str, object] = {}
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
            info["duration_s"] = dur if dur and dur > 0 else None
            info["artist"] = artist.strip() if sep else None
            info["title"] = (title if sep else label).strip() or None
            continue
        if line.startswith("#EXTALB:"):
            info["album"] = line[8:].strip() or None
            continue
        if line.startswith("#PLAYLIST:"):
            name = line[10:].strip() or name
            continue
        if line.startswith("#"):
            continue
        location, windows = _location(line, folder)
        entries.append(PlaylistEntry(location, windows=windows, **info))  # type: ignore[arg-type]
        info = {}
    return PlaylistFile(name, entries)


def _read_pls(text: str, folder: Path) -> PlaylistFile:
    values: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep:
            values[key.strip().lower()] = value.strip()
    numbers = sorted(int(k[4:]) for k in values if k.startswith("file") and k[4:].isdigit())
    entries = []
    for number in numbers:
        length = values.get(f"length{number}")
        try:
            dur = float(length) if length else None
        except ValueError:
            dur = None
        title = values.get(f"title{number}")
        artist, sep, rest = (title or "").partition(" - ")
        location, windows = _location(values[f"file{number}"], folder)
        entries.append(
            PlaylistEntry(
                location,
                (rest if sep else title) or None,
                artist if sep else None,
                dur if dur and dur > 0 else None,
                windows=windows,
            )
        )
    return PlaylistFile(None, entries)


def _read_xspf(raw: bytes, path: Path) -> PlaylistFile:
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise UsageError(f"{path} is not valid XSPF: {exc}") from exc
    ns = {"x": XSPF_NS}
    base = urllib.parse.urljoin(path.resolve().as_uri(), root.get(XML_BASE, ""))
    entries = []
    for track_list in root.iterfind("x:trackList", ns):
        list_base = urllib.parse.urljoin(base, track_list.get(XML_BASE, ""))
        for el in track_list.iterfind("x:track", ns):
            track_base = urllib.parse.urljoin(list_base, el.get(XML_BASE, ""))
            location, windows = "", False
            loc_el = el.find("x:location", ns)
            if loc_el is not None and (loc_el.text or "").strip():
                loc_base = urllib.parse.urljoin(track_base, loc_el.get(XML_BASE, ""))
                uri = urllib.parse.urljoin(loc_base, (loc_el.text or "").strip())
                location, windows = _file_uri_path(uri) if uri.startswith("file:") else (uri, False)
            duration = el.findtext("x:duration", default="", namespaces=ns).strip()
            entries.append(
                PlaylistEntry(
                    location,
                    _text(el.findtext("x:title", namespaces=ns)),
                    _text(el.findtext("x:creator", namespaces=ns)),
                    float(duration) / 1000 if duration.isdigit() and int(duration) > 0 else None,
                    _text(el.findtext("x:album", namespaces=ns)),
                    windows=windows,
                )
            )
    return PlaylistFile(_text(root.findtext("x:title", namespaces=ns)), entries)


def _text(value: str | None) -> str | None:
    return value.strip() or None if value else None


# --- matching entries to the library ---------------------------------------------------------
@dataclass(frozen=True)
class PlaylistImport:
    playlist_id: int
    name: str
    found: int
    not_found: list[PlaylistEntry]


class _PathIndex:
    """Library paths folded for the lookups a plain `path = ?` cannot do (built on first use)."""

    def __init__(self, store: Store) -> None:
        self.by_folded: dict[str, list[int]] = {}
        self.by_tail: dict[tuple[str, ...], list[int]] = {}
        for tid, raw in store.conn.execute("SELECT id, path FROM tracks ORDER BY missing, id"):
            path = path_from_db(raw)
            self.by_folded.setdefault(path.casefold(), []).append(tid)
            parts = tuple(p.casefold() for p in Path(path).parts[-4:])
            for k in range(SUFFIX_MATCH_MIN_PARTS, len(parts) + 1):
                self.by_tail.setdefault(parts[-k:], []).append(tid)

    def folded(self, path: str) -> int | None:
        hits = self.by_folded.get(path.casefold(), [])
        return hits[0] if len(set(hits)) == 1 else None

    def tail(self, path: str) -> int | None:
        """The one track whose last folders and file name are those of `path`."""
        parts = tuple(p.casefold() for p in Path(path.replace("\\", "/")).parts[-4:])
        for k in range(len(parts), SUFFIX_MATCH_MIN_PARTS - 1, -1):
            hits = set(self.by_tail.get(parts[-k:], ()))
            if len(hits) == 1:
                return hits.pop()
            if hits:
                return None  # ambiguous at this depth: a shorter tail only adds candidates
        return None


def _case_insensitive_fs(path: str) -> bool:
    """Whether the folder holding `path` ignores case (FAT/exFAT/NTFS drives, macOS)."""
    folder = os.path.dirname(path)
    while folder and not os.path.isdir(folder):
        parent = os.path.dirname(folder)
        if parent == folder:
            return False
        folder = parent
    head, name = os.path.split(folder)
    swapped = os.path.join(head, name.swapcase())
    if not name or swapped == folder or not os.path.exists(swapped):
        return False
    try:
        return os.path.samefile(folder, swapped)
    except OSError:
        return False


def match_entries(
    store: Store, entries: Iterable[PlaylistEntry]
) -> tuple[list[int], list[PlaylistEntry]]:
    """Library track ids for entries (by path, else artist + title) and the entries not found.

    A path matches exactly; a Windows path, or one on a case-insensitive drive, also without
    regard to case; a Windows path also by its last folders. Then artist and title,
    accepted only when album and duration agree."""
    index: _PathIndex | None = None
    matcher: LibraryMatcher | None = None
    ids: list[int] = []
    missing: list[PlaylistEntry] = []
    for entry in entries:
        tid: int | None = None
        loc = entry.location
        if loc and "://" not in loc:
            row = store.conn.execute(
                "SELECT id FROM tracks WHERE path = ?", (path_to_db(loc),)
            ).fetchone()
            tid = row[0] if row is not None else None
            if tid is None and (entry.windows or _case_insensitive_fs(loc)):
                index = index or _PathIndex(store)
                tid = index.folded(loc)
                if tid is None and entry.windows:
                    tid = index.tail(loc)  # written on another machine, or the list moved
        if tid is None and entry.title:
            matcher = matcher or LibraryMatcher.from_store(store)
            tid = matcher.match(
                entry.artist,
                entry.title,
                album=entry.album,
                duration_s=entry.duration_s,
                strict=True,
            )
        if tid is None:
            missing.append(entry)
        else:
            ids.append(tid)
    return ids, missing


def import_playlist_file(store: Store, path: Path, name: str | None = None) -> PlaylistImport:
    """Read a playlist file into a new saved playlist named `name`, else the name the file
    gives (`#PLAYLIST:`, `<title>`), else the file name ("Name (2)" when that is taken);
    entries not found are reported."""
    playlist = read_playlist(path)
    ids, missing = match_entries(store, playlist.entries)
    chosen = _free_name(store, (name or "").strip() or playlist.name or path.stem)
    playlist_id = save_playlist(store, chosen, ids)
    return PlaylistImport(playlist_id, chosen, len(ids), missing)


def _free_name(store: Store, name: str) -> str:
    """`name`, or "name (2)", "name (3)"... when a playlist is called that already."""
    taken = {info.name.casefold() for info in list_playlists(store)}
    chosen, n = name, 1
    while chosen.casefold() in taken:
        n += 1
        chosen = f"{name} ({n})"
    return chosen
