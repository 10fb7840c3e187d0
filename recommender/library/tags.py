"""Read one audio file's tags and stream properties with mutagen, by content, never by extension.

Every tag family (ID3, Vorbis comments, MP4 atoms, APEv2, ASF) is flattened to lower-cased keys,
then each field is read by the `TagRule` its declaration in `fields.py` carries. Values are
cleaned (NULs stripped, length capped) so absurd tags cannot bloat the library. Failures raise
`UnreadableFile` with a reason a person understands; the scan records it and goes on.
"""

from __future__ import annotations

import os
import re
from typing import Any

import mutagen
from mutagen.apev2 import APEBinaryValue, APETextValue, APEv2
from mutagen.apev2 import error as APEError

from recommender.library.fields import TAG_FIELDS, TagRule

AUDIO_EXTENSIONS: frozenset[str] = frozenset(
    [
        ".mp3",
        ".mp2",
        ".flac",
        ".ogg",
        ".oga",
        ".opus",
        ".spx",
        ".m4a",
        ".m4b",
        ".mp4",
        ".aac",
        ".alac",
        ".wav",
        ".aif",
        ".aiff",
        ".aifc",
        ".wv",
        ".ape",
        ".wma",
        ".asf",
        ".dsf",
        ".dff",
        ".mpc",
        ".tta",
        ".ofr",
    ]
)
MAX_TAG_CHARS = 1000
MULTI_VALUE_SEPARATOR = "; "

COVER_KEYS: tuple[str, ...] = (
    "apic",
    "covr",
    "metadata_block_picture",
    "coverart",
    "cover art (front)",
    "wm/picture",
)
# Mutagen class name -> our format name.
FORMAT_NAMES: dict[str, str] = {
    "MP3": "mp3",
    "EasyMP3": "mp3",
    "FLAC": "flac",
    "OggVorbis": "vorbis",
    "OggOpus": "opus",
    "OggSpeex": "speex",
    "OggFLAC": "flac",
    "MP4": "mp4",
    "EasyMP4": "mp4",
    "WAVE": "wav",
    "AIFF": "aiff",
    "WavPack": "wavpack",
    "MonkeysAudio": "ape",
    "ASF": "asf",
    "DSF": "dsf",
    "DSDIFF": "dff",
    "Musepack": "musepack",
    "TrueAudio": "tta",
    "OptimFROG": "optimfrog",
    "AAC": "aac",
    "AC3": "ac3",
}
_YEAR_RE = re.compile(r"(?<!\d)(1[0-9]{3}|20[0-9]{2})(?!\d)")
_NUMBER_RE = re.compile(r"^\s*(\d+)\s*(?:/\s*(\d+))?")
_TRACK_PREFIX_RE = re.compile(r"^\s*(?:\d{1,2}[-.]?)?\d{1,3}\s*(?:[-._)]\s*|\s+)")


class UnreadableFile(Exception):
    """The file is not audio Tonearm can index; `reason` says why, in plain words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _clean(text: Any) -> str | None:
    value = str(text).replace("\x00", "").strip()
    return value[:MAX_TAG_CHARS] or None


def _flatten(tags: Any) -> tuple[dict[str, list[str]], bool]:
    """All tag families as {lower-case key: [text values]}, plus whether a cover is embedded."""
    flat: dict[str, list[str]] = {}
    cover = False
    if tags is None:
        return flat, cover
    for key, value in tags.items():
        key_l = str(key).lower()
        family_key = key_l.split(":", 1)[0]
        if family_key in COVER_KEYS or key_l in COVER_KEYS:
            cover = cover or bool(value)
            continue
        flat.setdefault(key_l, []).extend(_values(value, key_l))
    return flat, cover


def _values(value: Any, key: str) -> list[str]:
    frame_text = getattr(value, "text", None)
    if key == "tcon" and hasattr(value, "genres"):
        return [g for g in (_clean(x) for x in value.genres) if g]
    if key.startswith("ufid:"):
        data = getattr(value, "data", b"")
        return [data.decode("ascii", "replace")] if data else []
    if isinstance(value, APETextValue):
        items = list(value)
    elif isinstance(value, APEBinaryValue):
        return []
    elif frame_text is not None:
        items = frame_text if isinstance(frame_text, list) else [frame_text]
    elif isinstance(value, list):
        items = value
    else:
        items = [value]
    out = []
    for item in items:
        if isinstance(item, tuple):  # MP4 trkn/disk: (number, total)
            item = f"{item[0]}/{item[1]}" if len(item) > 1 and item[1] else f"{item[0]}"
        elif isinstance(item, bytes):  # MP4 freeform atoms
            item = item.decode("utf-8", "replace")
        elif hasattr(item, "value"):  # ASF attributes
            item = item.value
        cleaned = _clean(item)
        if cleaned:
            out.append(cleaned)
    return out


def _lookup(flat: dict[str, list[str]], keys: tuple[str, ...], txxx: bool) -> list[str] | None:
    for key in keys:
        values = flat.get(key)
        if values:
            return values
    if txxx:
        # ID3 keeps these as TXXX with any case; match the description alone.
        names = {k.removeprefix("txxx:") for k in keys}
        for key, values in flat.items():
            if key.startswith("txxx:") and key[5:] in names and values:
                return values
    return None


def read_rule(flat: dict[str, list[str]], rule: TagRule) -> Any:
    """One field's value from flattened tags, as its `TagRule` says."""
    values = _lookup(flat, rule.keys, rule.txxx)
    text = values[0] if values else None
    if rule.parse == "text":
        return text
    if rule.parse == "joined":
        if not values:
            return None
        return MULTI_VALUE_SEPARATOR.join(dict.fromkeys(values))[:MAX_TAG_CHARS]
    if rule.parse == "number":
        return parse_number_pair(text)[0]
    if rule.parse == "total":
        total = parse_number_pair(text)[1]
        if not total and rule.fallback:
            more = _lookup(flat, rule.fallback, False)
            total = parse_number_pair(more[0] if more else None)[0]
        return total
    if rule.parse == "year":
        return parse_year(text)
    if rule.parse == "gain":
        return parse_gain(text)
    raise ValueError(rule.parse)


def parse_number_pair(text: str | None) -> tuple[int | None, int | None]:
    """'3/12' -> (3, 12); '03' -> (3, None); 'A1' -> (None, None)."""
    if not text:
        return None, None
    match = _NUMBER_RE.match(text)
    if not match:
        return None, None
    number, total = match.groups()
    return int(number), int(total) if total else None


def parse_year(text: str | None) -> int | None:
    """The year of '2003-05-01', '2003', 'May 2003' or '03/05/2003'."""
    if not text:
        return None
    match = _YEAR_RE.search(text)
    return int(match.group(1)) if match else None


def parse_gain(text: str | None) -> float | None:
    """'-6.52 dB' -> -6.52; garbage -> None."""
    if not text:
        return None
    match = re.match(r"\s*([+-]?\d+(?:\.\d+)?)", text)
    return float(match.group(1)) if match else None


def guess_from_path(path: str, root: str | None) -> dict[str, str]:
    """Title from the file name; album and artist from folders below the library root."""
    stem = os.path.splitext(os.path.basename(path))[0]
    stem = _TRACK_PREFIX_RE.sub("", stem, count=1) or stem
    stem = stem.replace("_", " ").strip()
    guess: dict[str, str] = {}
    if " - " in stem:
        artist, title = (p.strip() for p in stem.split(" - ", 1))
        if artist and title:
            guess["artist"] = artist
            stem = title
    guess["title"] = stem
    return {k: _displayable(v) for k, v in _guess_folders(path, root, guess).items()}


def _displayable(name: str) -> str:
    """File-name text for display: undecodable bytes become U+FFFD rather than failing."""
    return os.fsencode(name).decode("utf-8", "replace")


def _guess_folders(path: str, root: str | None, guess: dict[str, str]) -> dict[str, str]:
    folder = os.path.dirname(path)
    parts: list[str] = []
    while root and folder.startswith(root.rstrip(os.sep) + os.sep) and len(parts) < 2:
        parts.append(os.path.basename(folder))
        folder = os.path.dirname(folder)
    if parts:
        guess["album"] = parts[0]
    if len(parts) > 1 and "artist" not in guess:
        guess["artist"] = parts[1]
    return guess


def _codec(audio: Any, fmt: str) -> str:
    info = audio.info
    codec = getattr(info, "codec", None) or getattr(info, "codec_name", None)
    if fmt == "mp4" and codec:
        return "alac" if str(codec).startswith("alac") else "aac" if "mp4a" in str(codec) else codec
    if fmt == "mp3":
        layer = getattr(info, "layer", 3)
        return f"mp{layer}"
    return str(codec).lower() if codec else fmt


def read_tags(path: str, root: str | None = None) -> dict[str, Any]:
    """Tags and properties of one file as track-table columns (no path/size/mtime/times)."""
    try:
        if os.path.getsize(path) == 0:
            raise UnreadableFile("empty file (0 bytes)")
        # Opened here first: mutagen wraps a refused open in its own error, which read as
        # "damaged or truncated" for a file that is only unreadable.
        with open(path, "rb"):
            pass
        audio = mutagen.File(path)
    except UnreadableFile:
        raise
    except PermissionError:
        raise UnreadableFile("permission denied") from None
    except FileNotFoundError:
        raise UnreadableFile("file vanished during the scan") from None
    except OSError as exc:
        raise UnreadableFile(f"cannot read the file: {exc.strerror or exc}") from None
    except Exception as exc:  # mutagen raises many kinds on damaged headers
        raise UnreadableFile(f"damaged or truncated audio: {_short(exc)}") from None
    if audio is None:
        raise UnreadableFile("not an audio file: its contents match no known audio format")
    fmt = FORMAT_NAMES.get(type(audio).__name__, type(audio).__name__.lower())
    info = audio.info
    length = float(getattr(info, "length", 0.0) or 0.0)
    if type(audio).__name__.startswith("Ogg"):
        _check_ogg_complete(path)
    if not length > 0:
        raise UnreadableFile(f"{fmt} file holds no audio (length 0): damaged or truncated")
    _check_not_truncated(path, fmt, length, getattr(info, "bitrate", 0))
    flat, cover = _flatten(audio.tags)
    if fmt == "mp3" and not any(k in flat for k in ("tit2", "tpe1", "talb")):
        flat_ape, cover_ape = _ape_tags(path)
        flat.update(flat_ape)
        cover = cover or cover_ape
    if fmt == "flac" and getattr(audio, "pictures", None):
        cover = True
    row: dict[str, Any] = {
        "format": fmt,
        "codec": _codec(audio, fmt),
        "duration": round(length, 3),
        "sample_rate": getattr(info, "sample_rate", None),
        "channels": getattr(info, "channels", None),
        "bitrate": int(getattr(info, "bitrate", 0) or 0) or None,
        "has_cover": int(cover),
    }
    for spec in TAG_FIELDS:
        assert spec.tag is not None
        row[spec.name] = read_rule(flat, spec.tag)
    if fmt == "opus" and row["rg_track_gain"] is None:
        row["rg_track_gain"] = _r128_to_replaygain(flat.get("r128_track_gain"))
        row["rg_album_gain"] = _r128_to_replaygain(flat.get("r128_album_gain"))
    guessed = []
    if not (row["title"] and row["artist"] and row["album"]):
        for field, value in guess_from_path(path, root).items():
            if not row[field]:
                row[field] = value
                guessed.append(field)
    row["guessed"] = ",".join(guessed)
    return row


# Formats whose header states the length independently of the file size, so a cut file shows.
_LENGTH_FROM_HEADER = frozenset({"mp3", "wav", "aiff"})
TRUNCATED_FRACTION = 0.5
TRUNCATION_MIN_BYTES = 8192


def _check_not_truncated(path: str, fmt: str, length: float, bitrate: int | None) -> None:
    """A file far smaller than its header's length x bitrate promises was cut short."""
    if fmt not in _LENGTH_FROM_HEADER or not bitrate:
        return
    expected = length * bitrate / 8
    size = os.path.getsize(path)
    if expected > TRUNCATION_MIN_BYTES and size < TRUNCATED_FRACTION * expected:
        held = size * 8 / bitrate
        raise UnreadableFile(
            f"truncated: the header promises {length:.1f} s but the file holds about {held:.1f} s"
        )


OGG_TAIL_BYTES = 128 * 1024  # an Ogg page is at most 65,307 bytes
OGG_END_OF_STREAM = 0x04


def _check_ogg_complete(path: str) -> None:
    """An Ogg file ends with a whole page flagged end-of-stream; a cut one does not (mutagen
    takes the length from the last whole page it finds, so the cut goes unnoticed)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, os.path.getsize(path) - OGG_TAIL_BYTES))
            tail = fh.read()
    except OSError as exc:
        raise UnreadableFile(f"cannot read the file: {exc.strerror or exc}") from None
    at = tail.rfind(b"OggS")
    while at >= 0:
        header_end = at + 27
        if header_end <= len(tail):
            segments = tail[at + 26]
            table = tail[header_end : header_end + segments]
            page_end = header_end + segments + sum(table)
            if len(table) == segments and page_end == len(tail):
                if not tail[at + 5] & OGG_END_OF_STREAM:
                    raise UnreadableFile(
                        "truncated: the Ogg stream stops before its last page "
                        "(no end-of-stream mark)"
                    )
                return
        at = tail.rfind(b"OggS", 0, at)  # "OggS" inside audio data: look further back
    raise UnreadableFile("truncated: the file stops in the middle of an Ogg page")


def _r128_to_replaygain(values: list[str] | None) -> float | None:
    """Opus R128 gains are Q7.8 dB relative to -23 LUFS; ReplayGain's reference is 5 dB louder."""
    if not values:
        return None
    try:
        return round(int(values[0]) / 256.0 + 5.0, 2)
    except ValueError:
        return None


def _ape_tags(path: str) -> tuple[dict[str, list[str]], bool]:
    try:
        return _flatten(APEv2(path))
    except (APEError, OSError):
        return {}, False


def _short(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) < 160 else text[:157] + "..."
