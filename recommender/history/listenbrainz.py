"""ListenBrainz's listen formats, read and written by its own rules.

Read: the user export zip (`listens/<year>/<month>.jsonl` beside `user.json`,
`feedback.jsonl` and `pinned_recording.jsonl`), the older one-file export (a JSON array), JSON
lines, the API's answer (`{"payload": {"listens": [...]}}`) and the submit document
(`{"listen_type": "import", "payload": [...]}`).

Written: listens that pass ListenBrainz's validation (`webserver/views/api_tools.py`
`validate_listen`): non-empty `artist_name` and `track_name`, an integer `listened_at` from
2002-10-01 to an hour ahead, valid MBIDs, positive durations, no NUL characters, only
`listened_at` and `track_metadata` at the top. The track's length goes in `duration_ms` and the
seconds actually heard in `duration_played` (both documented fields); ListenBrainz has no skip
flag, so Tonearm adds `tonearm_skipped` to `additional_info` (which keeps unknown keys) and reads
it back, so an exported skip comes back as a skip.
"""

from __future__ import annotations

import json
import re
import uuid
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from recommender.core.errors import NotFoundError, UsageError
from recommender.history.listens import Listen, ListenFile

SOURCE_LISTENBRAINZ = "listenbrainz"
LISTEN_MINIMUM_TS = 1_033_410_600
"""2002-10-01 UTC: ListenBrainz refuses older listens."""
LISTENED_AT_ALLOWED_SKEW_S = 3600
"""…and ones more than an hour ahead of its clock."""
MAX_LISTENS_PER_REQUEST = 1000
MAX_LISTEN_SIZE_BYTES = 10240
"""A request may not be larger than this many bytes times its number of listens."""
MAX_DURATION_MS = 24 * 24 * 60 * 60 * 1000
SKIPPED_KEY = "tonearm_skipped"
"""Tonearm's own `additional_info` key: the play was a skip."""
_DOCUMENT_HEAD = '{"listen_type": "import", "payload": ['
_DOCUMENT_TAIL = "]}"
_MAX_ONE_LISTEN_BYTES = MAX_LISTEN_SIZE_BYTES - len(_DOCUMENT_HEAD) - len(_DOCUMENT_TAIL) - 2
"""A listen no longer than this keeps any batch of them under the per-listen average, even a
batch of one with the document around it (and ", " between listens)."""
_ID_SEPARATORS = re.compile(r"[\s/;,]+")
_LISTEN_SUFFIXES = (".jsonl", ".json", ".listens")
_NOT_LISTENS = frozenset({"user.json", "feedback.jsonl", "pinned_recording.jsonl"})
"""The other files of a user export."""


def read_listenbrainz_text(text: str, name: str, out: ListenFile) -> None:
    """Add the listens of one JSON document (any of the shapes above) or of JSON lines."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as whole:
        if text.lstrip().startswith("["):
            raise UsageError(f"{name} is not valid JSON: {whole}") from None
        first_error = whole
    else:
        _read_document(document, name, out)
        return
    read = 0
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{name} line {number}"
        try:
            document = json.loads(line)
        except json.JSONDecodeError as exc:
            out.drop(where, f"not JSON ({exc.msg})")
            continue
        read += 1
        _read_document(document, where, out)
    if not read:
        raise UsageError(f"{name} is neither JSON nor JSON lines: {first_error}")


def read_listenbrainz_zip(path: Path) -> ListenFile:
    """The listens of a ListenBrainz user export (or any zip of listen JSON/JSONL files)."""
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise NotFoundError(f"no such file: {path}") from None
    except (OSError, zipfile.BadZipFile) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from exc
    out = ListenFile(SOURCE_LISTENBRAINZ)
    with archive:
        names = [
            name
            for name in archive.namelist()
            if name.lower().endswith(_LISTEN_SUFFIXES)
            and PurePosixPath(name).name.lower() not in _NOT_LISTENS
        ]
        if not names:
            raise UsageError(
                f"{path} holds no ListenBrainz listens (a user export has listens/YEAR/MONTH.jsonl)"
            )
        for name in names:
            text = archive.read(name).decode("utf-8-sig", errors="replace")
            if text.strip():
                read_listenbrainz_text(text, f"{path.name}:{name}", out)
    return out


def _read_document(document: object, where: str, out: ListenFile) -> None:
    if isinstance(document, list):
        _read_items(document, where, out)
        return
    if not isinstance(document, dict):
        out.drop(where, "not a listen (expected a JSON object)")
        return
    if "track_metadata" in document:
        _read_item(document, where, out)
        return
    payload = document.get("payload")
    if isinstance(payload, list):  # a submit document
        if document.get("listen_type") == "playing_now":
            out.drop(where, "a playing_now notice, not a listen")
        else:
            _read_items(payload, where, out)
    elif isinstance(payload, dict) and isinstance(payload.get("listens"), list):  # the API
        _read_items(payload["listens"], where, out)
    else:
        out.drop(where, "no listens in it (no track_metadata, no payload)")


def _read_items(items: list[object], where: str, out: ListenFile) -> None:
    for number, item in enumerate(items, 1):
        _read_item(item, f"{where} listen {number}" if len(items) > 1 else where, out)


def _read_item(item: object, where: str, out: ListenFile) -> None:
    listen = listen_from_listenbrainz(item)
    if isinstance(listen, str):
        out.drop(where, listen)
    else:
        out.listens.append(listen)


def listen_from_listenbrainz(item: object) -> Listen | str:
    """A listen from one ListenBrainz listen object, or why it is not one."""
    if not isinstance(item, dict):
        return "not a listen (expected a JSON object)"
    meta = item.get("track_metadata")
    if not isinstance(meta, dict):
        return "no track_metadata"
    artist, title = _text(meta.get("artist_name")), _text(meta.get("track_name"))
    if not artist:
        return "no artist_name"
    if not title:
        return "no track_name"
    when = _number(item.get("listened_at", item.get("timestamp")))
    if when is None:
        return "no listened_at (a playing_now listen?)"
    info = meta.get("additional_info")
    info = info if isinstance(info, dict) else {}
    mapping = meta.get("mbid_mapping")
    mapping = mapping if isinstance(mapping, dict) else {}
    duration_ms = _number(info.get("duration_ms"))
    duration_s = duration_ms / 1000 if duration_ms else _number(info.get("duration"))
    played = _number(info.get("duration_played"))
    if played is None:
        played = _number(info.get("seconds_played"))  # Tonearm's listening simulator
    skipped = info.get(SKIPPED_KEY)
    user = item.get("user_name")
    return Listen(
        listened_at=when,
        artist=artist,
        title=title,
        album=_text(meta.get("release_name")) or None,
        mb_recording_id=_text(info.get("recording_mbid")) or _text(mapping.get("recording_mbid")),
        duration_s=duration_s or None,
        user=user if isinstance(user, str) else None,
        seconds_played=played,
        skipped=skipped if isinstance(skipped, bool) else None,
    )


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _number(value: object) -> float | None:
    """ListenBrainz itself accepts numbers written as strings ("222000") in these fields."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


@dataclass(frozen=True, slots=True)
class PlayToSend:
    """A play with the track fields a ListenBrainz listen carries."""

    started_at: float
    seconds_played: float
    skipped: bool
    artist: str | None
    title: str | None
    album: str | None
    duration: float | None
    mb_recording_id: str | None
    mb_album_id: str | None
    mb_artist_id: str | None
    tracknumber: int | None


def to_listenbrainz(play: PlayToSend, now: float) -> dict[str, object] | str:
    """The listen ListenBrainz accepts for a play, or why it would refuse it."""
    artist, title, album = _clean(play.artist), _clean(play.title), _clean(play.album)
    if not artist:
        return "no artist tag (ListenBrainz needs artist_name)"
    if not title:
        return "no title tag (ListenBrainz needs track_name)"
    when = int(play.started_at)
    if when < LISTEN_MINIMUM_TS:
        return "played before 2002-10-01, which ListenBrainz refuses"
    if when >= now + LISTENED_AT_ALLOWED_SKEW_S:
        return "played in the future (is the clock right?)"
    info: dict[str, object] = {"media_player": "Tonearm", "submission_client": "Tonearm"}
    if _is_uuid(play.mb_recording_id):
        info["recording_mbid"] = play.mb_recording_id
    if _is_uuid(play.mb_album_id):
        info["release_mbid"] = play.mb_album_id
    artist_ids = [a for a in _ID_SEPARATORS.split(play.mb_artist_id or "") if _is_uuid(a)]
    if artist_ids:
        info["artist_mbids"] = artist_ids
    if play.tracknumber:
        info["tracknumber"] = play.tracknumber
    duration_ms = round((play.duration or 0) * 1000)
    if 0 < duration_ms <= MAX_DURATION_MS:
        info["duration_ms"] = duration_ms
    played = round(play.seconds_played)
    if played > 0:
        info["duration_played"] = played
    info[SKIPPED_KEY] = bool(play.skipped)
    meta: dict[str, object] = {"artist_name": artist, "track_name": title}
    if album:
        meta["release_name"] = album
    meta["additional_info"] = info
    listen: dict[str, object] = {"listened_at": when, "track_metadata": meta}
    if len(listen_json(listen).encode("utf-8")) > _MAX_ONE_LISTEN_BYTES:
        return f"larger than ListenBrainz's {MAX_LISTEN_SIZE_BYTES:,} bytes a listen"
    return listen


def listen_json(listen: dict[str, object]) -> str:
    return json.dumps(listen, ensure_ascii=False)


def submit_documents(listens: Iterable[dict[str, object]]) -> Iterator[str]:
    """Bodies for `POST /1/submit-listens`, each within ListenBrainz's limits: at most
    `MAX_LISTENS_PER_REQUEST` listens, at most `MAX_LISTEN_SIZE_BYTES` a listen on average
    (`to_listenbrainz` keeps every listen small enough for that) and so under the payload cap."""
    batch: list[str] = []
    for listen in listens:
        batch.append(listen_json(listen))
        if len(batch) == MAX_LISTENS_PER_REQUEST:
            yield _DOCUMENT_HEAD + ", ".join(batch) + _DOCUMENT_TAIL
            batch = []
    if batch:
        yield _DOCUMENT_HEAD + ", ".join(batch) + _DOCUMENT_TAIL


def _clean(value: str | None) -> str:
    """What ListenBrainz stores: stripped, without the NUL characters it refuses."""
    return (value or "").replace("\x00", "").strip()


def _is_uuid(value: str | None) -> bool:
    if not value:
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
