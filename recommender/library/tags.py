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

from recommender.library.fields import SCANNED_COLUMNS, TAG_FIELDS, TagRule
from recommender.library.names import NAME_KEY_COLUMNS, name_keys

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
    if type(value) is list and not key.startswith("ufid:"):  # Vorbis, MP4: the common case
        items = value
    else:
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
        else:
            items = [value]
    out = []
    for item in items:
        if type(item) is not str:
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


def _txxx_items(flat: dict[str, list[str]]) -> list[tuple[str, list[str]]]:
    """The ID3 TXXX values by description alone, in tag order (none for other tag families)."""
    return [(k[5:], v) for k, v in flat.items() if k.startswith("txxx:") and v]


def _txxx_names(rule: TagRule) -> frozenset[str]:
    return frozenset(k.removeprefix("txxx:") for k in rule.keys) if rule.txxx else frozenset()


def _lookup(
    flat: dict[str, list[str]],
    keys: tuple[str, ...],
    txxx_names: frozenset[str] = frozenset(),
    txxx_items: list[tuple[str, list[str]]] | None = None,
) -> list[str] | None:
    for key in keys:
        values = flat.get(key)
        if values:
            return values
    if txxx_names:
        # ID3 keeps these as TXXX with any case; match the description alone.
        for name, values in _txxx_items(flat) if txxx_items is None else txxx_items:
            if name in txxx_names:
                return values
    return None


def read_rule(
    flat: dict[str, list[str]],
    rule: TagRule,
    txxx_items: list[tuple[str, list[str]]] | None = None,
    txxx_names: frozenset[str] | None = None,
) -> Any:
    """One field's value from flattened tags, as its `TagRule` says (`txxx_items` and
    `txxx_names`: what `_txxx_items` and `_txxx_names` give, when worked out once already)."""
    names = _txxx_names(rule) if txxx_names is None else txxx_names
    values = _lookup(flat, rule.keys, names, txxx_items)
    text = values[0] if values else None
    if rule.parse == "text":
        return text
    if rule.parse == "joined":
        if not values:
            return None
        if len(values) == 1:
            return values[0]  # already capped by _clean
        return MULTI_VALUE_SEPARATOR.join(dict.fromkeys(values))[:MAX_TAG_CHARS]
    if rule.parse == "number":
        return parse_number_pair(text)[0]
    if rule.parse == "total":
        total = parse_number_pair(text)[1]
        if not total and rule.fallback:
            more = _lookup(flat, rule.fallback)
            total = parse_number_pair(more[0] if more else None)[0]
        return total
    if rule.parse == "year":
        return parse_year(text)
    if rule.parse == "gain":
        return parse_gain(text)
    raise ValueError(rule.parse)


_RULES: tuple[tuple[str, TagRule, frozenset[str]], ...] = tuple(
    (spec.name, spec.tag, _txxx_names(spec.tag)) for spec in TAG_FIELDS if spec.tag is not None
)
"""Each tag field with its rule and TXXX names, worked out once instead of once a file."""
_NO_TAG_VALUES: dict[str, None] = {name: None for name, _, _ in _RULES}


def _rules_by_key() -> dict[str, tuple[int, ...]]:
    out: dict[str, list[int]] = {}
    for i, (_, rule, _) in enumerate(_RULES):
        for key in dict.fromkeys((*rule.keys, *rule.fallback)):
            out.setdefault(key, []).append(i)
    return {key: tuple(rules) for key, rules in out.items()}


_RULES_BY_KEY = _rules_by_key()
"""Flattened tag key -> the fields (indices in `_RULES`) that read it."""
_TXXX_RULES = tuple(i for i, (_, _, names) in enumerate(_RULES) if names)


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


HEADER_BYTES = 128
"""What `mutagen.File` reads to choose a format."""
_NOT_VORBIS_OR_OPUS = (b"FLAC", b"fLaC", b"Speex   ", b"theora", b"ftyp", b"mp4", b"ADIF")
_MPEG_SYNC = (b"ID3", b"\xff\xf2", b"\xff\xf3", b"\xff\xfa", b"\xff\xfb")


def sniff_kind(path: str, header: bytes) -> type | None:
    """The mutagen class `mutagen.File` would choose, for the common formats whose first bytes
    and extension agree; None for anything else (then `mutagen.File` chooses).

    `mutagen.File` scores all 24 formats on the header and name (the APEv2 one reads the end
    of the file too): a third of its time on small files. Each case here is one its scores
    cannot rank otherwise: the winner's score beats every other format's best possible one
    on such a header, or ties it and wins on name, as `mutagen.File` breaks ties.
    """
    ext = path[path.rfind(".") :].lower()
    if ext == ".flac" and header.startswith(b"fLaC"):  # 4 points; no other format gets 3
        from mutagen.flac import FLAC

        return FLAC
    if ext == ".mp3" and header.startswith(_MPEG_SYNC):  # 3; MP4 at most 2 on its words
        from mutagen.mp3 import MP3

        return MP3
    if ext == ".wav" and header.startswith(b"RIFF") and header[8:12] == b"WAVE":  # 3
        from mutagen.wave import WAVE

        return WAVE
    if ext in (".m4a", ".m4b", ".mp4") and header[4:8] == b"ftyp" and header[0] == 0:
        from mutagen.mp4 import MP4  # 1 or 2; AAC and APEv2 at most 1, and lose on name

        return MP4
    if ext in (".ogg", ".oga", ".opus") and header.startswith(b"OggS"):
        # 1 point; every other format that could score 1 here loses on name, unless its
        # words are in the header.
        if any(word in header for word in _NOT_VORBIS_OR_OPUS):
            return None
        vorbis, opus = b"\x01vorbis" in header, b"OpusHead" in header
        if vorbis and not opus:
            from mutagen.oggvorbis import OggVorbis

            return OggVorbis
        if opus and not vorbis:
            from mutagen.oggopus import OggOpus

            return OggOpus
    return None


def read_tags(path: str, root: str | None = None) -> dict[str, Any]:
    """Tags and properties of one file as track-table columns (no path/size/mtime/times)."""
    try:
        if os.path.getsize(path) == 0:
            raise UnreadableFile("empty file (0 bytes)")
        # Opened here first: mutagen wraps a refused open in its own error, which read as
        # "damaged or truncated" for a file that is only unreadable.
        with open(path, "rb") as fh:
            header = fh.read(HEADER_BYTES)
            kind = sniff_kind(path, header)
            if kind is not None:
                fh.seek(0)
                audio = kind(fh)  # the open file, not a second open
        if kind is None:
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
    # Most fields are in no tag: None, and only the fields some key of the file names are
    # parsed (looking each field's keys up was a tenth of a small file's reading).
    row.update(_NO_TAG_VALUES)
    txxx = _txxx_items(flat)
    wanted = set(_TXXX_RULES) if txxx else set()
    for key in flat:
        wanted.update(_RULES_BY_KEY.get(key, ()))
    for i in sorted(wanted):
        name, rule, txxx_names = _RULES[i]
        row[name] = read_rule(flat, rule, txxx, txxx_names)
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


ReadResult = tuple[str, tuple[Any, ...] | None, str | None]
"""(path, the row's values in `ROW_COLUMNS` order or None, error reason or None) for one file."""
ROW_COLUMNS: tuple[str, ...] = (*SCANNED_COLUMNS, *NAME_KEY_COLUMNS)
"""What reading a file sets on its row: its tags and stream, then its names' keys
(`names.name_keys`, worked out here so that scan workers do it, not the writing process)."""
_ARTIST, _ALBUMARTIST, _TITLE = (
    SCANNED_COLUMNS.index(c) for c in ("artist", "albumartist", "title")
)


def read_result(path: str, root: str | None) -> ReadResult:
    """One file's row values, or why it cannot be read; never raises for a bad file.

    A tuple, not `read_tags`' dict: it is what scan workers send back, and pickling 31 keys
    for every file was a tenth of their time."""
    try:
        row = read_tags(path, root)
    except UnreadableFile as exc:
        return path, None, _storable(exc.reason)
    except Exception as exc:  # never let one file stop the scan
        return path, None, _storable(f"unexpected error: {type(exc).__name__}: {exc}")
    values = [row[c] for c in SCANNED_COLUMNS]
    values += name_keys(values[_ARTIST], values[_ALBUMARTIST], values[_TITLE])
    return path, tuple(values), None


def read_results(items: list[tuple[str, str]]) -> list[ReadResult]:
    """`read_result` of each (path, root): one scan worker's share, in this module so that a
    worker imports what reading needs and not the store (numpy, sqlite)."""
    return [read_result(path, root) for path, root in items]


def _storable(text: str) -> str:
    """Messages may quote odd file names; keep them valid UTF-8 for the database."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
