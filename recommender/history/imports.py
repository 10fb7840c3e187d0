"""Bring listening history in from ListenBrainz and Last.fm, and write it out as ListenBrainz JSONL.

Imported listens become plays (context "import:<source>") matched by `recommender.library.matching`;
the ones the library cannot place yet wait in `unmatched_listens` and are tried again by
`rematch_unmatched` after later scans. Importing the same file twice adds nothing.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from recommender.core.errors import NotFoundError, UsageError
from recommender.core.progress import CancelCheck, Progress, ProgressCallback, never_cancel
from recommender.history.plays import SKIP_MAX_S, is_completed, is_skip
from recommender.library.matching import LibraryMatcher
from recommender.library.store import Store

SOURCE_LISTENBRAINZ = "listenbrainz"
SOURCE_LASTFM = "lastfm"
IMPORT_CONTEXT_PREFIX = "import:"
DEFAULT_LISTEN_S = 180.0
"""Seconds credited to a listen whose length neither the file nor the library knows."""
_LASTFM_DATE_FORMATS = (
    "%d %b %Y %H:%M",
    "%d %b %Y, %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
)


@dataclass(frozen=True, slots=True)
class Listen:
    """One listen from another service, before matching."""

    listened_at: float
    artist: str
    title: str
    album: str | None = None
    mb_recording_id: str | None = None
    duration_s: float | None = None
    user: str | None = None
    seconds_played: float | None = None
    """Only when the file says (Tonearm's simulator does); else the listen counts as complete."""


@dataclass(frozen=True)
class ImportReport:
    read: int
    matched: int
    added: int
    unmatched: int
    already_known: int


def read_listens(path: Path) -> tuple[str, list[Listen]]:
    """(source, listens) from a ListenBrainz export (JSON, JSONL, or the .zip of monthly JSONL
    files ListenBrainz hands out) or a Last.fm scrobble CSV."""
    if path.suffix.lower() == ".zip":
        return SOURCE_LISTENBRAINZ, _listenbrainz_zip(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise NotFoundError(f"no such file: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from exc
    stripped = text.lstrip()
    if stripped.startswith(("[", "{")):
        return SOURCE_LISTENBRAINZ, list(_listenbrainz(stripped, path))
    if path.suffix.lower() in (".json", ".jsonl"):
        raise UsageError(f"{path} is not a ListenBrainz export (expected JSON listens)")
    return SOURCE_LASTFM, list(_lastfm_csv(text, path))


def _listenbrainz(text: str, path: Path) -> Iterator[Listen]:
    try:
        data = json.loads(text)
        items = data if isinstance(data, list) else data.get("payload", {}).get("listens", [data])
    except json.JSONDecodeError:
        items = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                items.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise UsageError(f"{path} line {number} is not JSON: {exc.msg}") from None
    for item in items:
        listen = _listenbrainz_item(item)
        if listen is not None:
            yield listen


def _listenbrainz_zip(path: Path) -> list[Listen]:
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise NotFoundError(f"no such file: {path}") from None
    except (OSError, zipfile.BadZipFile) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from exc
    listens: list[Listen] = []
    with archive:
        for name in sorted(archive.namelist()):
            parts = name.split("/")
            if not name.endswith((".jsonl", ".json")) or "listens" not in parts[:-1]:
                continue
            text = archive.read(name).decode("utf-8-sig", errors="replace").strip()
            if text:
                listens.extend(_listenbrainz(text, Path(f"{path}:{name}")))
    return listens


def _listenbrainz_item(item: object) -> Listen | None:
    if not isinstance(item, dict):
        return None
    meta = item.get("track_metadata") or {}
    info = meta.get("additional_info") or {}
    mapping = meta.get("mbid_mapping") or {}
    artist, title = meta.get("artist_name"), meta.get("track_name")
    when = item.get("listened_at")
    if not artist or not title or not isinstance(when, int | float):
        return None
    duration = info.get("duration_ms")
    duration_s = float(duration) / 1000 if isinstance(duration, int | float) else None
    if duration_s is None and isinstance(info.get("duration"), int | float):
        duration_s = float(info["duration"])
    return Listen(
        listened_at=float(when),
        artist=str(artist),
        title=str(title),
        album=meta.get("release_name"),
        mb_recording_id=info.get("recording_mbid") or mapping.get("recording_mbid"),
        duration_s=duration_s,
        user=item.get("user_name"),
        seconds_played=_number(info.get("seconds_played")),
    )


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _lastfm_csv(text: str, path: Path) -> Iterator[Listen]:
    """Both common shapes: headed (uts, artist, album, track, track_mbid …) or bare
    "artist, album, title, date" rows as the lastfm-to-csv tools write them."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return
    header = [h.strip().lower() for h in rows[0]]
    if {"artist", "track"} <= set(header) or {"artist", "title"} <= set(header):
        col = {name: i for i, name in enumerate(header)}
        title_col = col["track"] if "track" in col else col["title"]
        for row in rows[1:]:
            if len(row) < len(header):
                continue
            when = _lastfm_time(row, col)
            if when is None or not row[col["artist"]] or not row[title_col]:
                continue
            yield Listen(
                listened_at=when,
                artist=row[col["artist"]],
                title=row[title_col],
                album=row[col["album"]] if "album" in col else None,
                mb_recording_id=(row[col["track_mbid"]] or None) if "track_mbid" in col else None,
            )
        return
    for number, row in enumerate(rows, 1):
        if len(row) < 4:
            raise UsageError(
                f"{path} line {number}: expected artist, album, title, date (Last.fm CSV)"
            )
        when = _parse_date(row[3])
        if when is None:
            raise UsageError(f'{path} line {number}: cannot read the date "{row[3]}"')
        yield Listen(listened_at=when, artist=row[0], title=row[2], album=row[1] or None)


def _lastfm_time(row: list[str], col: dict[str, int]) -> float | None:
    for name in ("uts", "timestamp", "date_uts"):
        if name in col and row[col[name]].strip().isdigit():
            return float(row[col[name]])
    for name in ("utc_time", "date", "time"):
        if name in col:
            return _parse_date(row[col[name]])
    return None


def _parse_date(text: str) -> float | None:
    text = text.strip()
    if text.isdigit():
        return float(text)
    for fmt in _LASTFM_DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC).timestamp()
        except ValueError:
            continue
    return None


def import_listens(
    store: Store,
    path: Path,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck = never_cancel,
) -> ImportReport:
    """Read a listens file, add matched listens as plays and keep the rest for later scans."""
    source, listens = read_listens(path)
    matcher = LibraryMatcher.from_store(store)
    durations = dict(store.conn.execute("SELECT id, duration FROM tracks"))
    context = IMPORT_CONTEXT_PREFIX + source
    state = Progress(0, len(listens), "importing")
    matched = added = unmatched = 0
    batch_size = 5000
    for start in range(0, len(listens), batch_size):
        if cancel():
            break
        chunk = listens[start : start + batch_size]
        plays, waiting = [], []
        for listen in chunk:
            tid = matcher.match(listen.artist, listen.title, listen.mb_recording_id)
            if tid is None:
                waiting.append(listen)
                continue
            matched += 1
            plays.append((tid, listen.listened_at, *_outcome(listen, durations.get(tid)), context))
        with store.transaction() as conn:
            before = conn.total_changes
            conn.executemany(
                "INSERT OR IGNORE INTO plays(track_id, started_at, seconds_played, completed, "
                "skipped, context) VALUES (?, ?, ?, ?, ?, ?)",
                plays,
            )
            added += conn.total_changes - before
            before = conn.total_changes
            conn.executemany(
                "INSERT OR IGNORE INTO unmatched_listens(source, listened_at, artist, title, "
                "album, mb_recording_id, seconds_played) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        source,
                        x.listened_at,
                        x.artist,
                        x.title,
                        x.album,
                        x.mb_recording_id,
                        x.duration_s,
                    )
                    for x in waiting
                ],
            )
            unmatched += len(waiting)
        state.done = min(start + batch_size, len(listens))
        if progress:
            progress(state)
    return ImportReport(len(listens), matched, added, unmatched, matched - added)


def _outcome(listen: Listen, duration: float | None) -> tuple[float, int, int]:
    """(seconds, completed, skipped): a scrobble counts as a full listen unless the file says
    how long it played."""
    length = listen.duration_s or duration
    if listen.seconds_played is None:
        return max(length or DEFAULT_LISTEN_S, SKIP_MAX_S), 1, 0
    secs = listen.seconds_played
    done = is_completed(secs, length)
    return secs, int(done), int(is_skip(secs, length, done))


def rematch_unmatched(store: Store) -> int:
    """Try waiting listens against the library again (after a scan); returns how many match."""
    rows = store.conn.execute(
        "SELECT id, source, listened_at, artist, title, mb_recording_id, seconds_played "
        "FROM unmatched_listens"
    ).fetchall()
    if not rows:
        return 0
    matcher = LibraryMatcher.from_store(store)
    durations = dict(store.conn.execute("SELECT id, duration FROM tracks"))
    plays, done = [], []
    for row_id, source, when, artist, title, mbid, seconds in rows:
        tid = matcher.match(artist, title, mbid)
        if tid is None:
            continue
        secs = seconds or durations.get(tid) or DEFAULT_LISTEN_S
        plays.append((tid, when, max(secs, SKIP_MAX_S), IMPORT_CONTEXT_PREFIX + source))
        done.append((row_id,))
    with store.transaction() as conn:
        conn.executemany(
            "INSERT OR IGNORE INTO plays(track_id, started_at, seconds_played, completed, "
            "skipped, context) VALUES (?, ?, ?, 1, 0, ?)",
            plays,
        )
        conn.executemany("DELETE FROM unmatched_listens WHERE id = ?", done)
    return len(done)


def export_listens(store: Store, out: Path, *, include_skips: bool = False) -> int:
    """Write plays as ListenBrainz-style JSONL (one listen a line, oldest first); returns count."""
    sql = (
        "SELECT p.started_at, p.seconds_played, t.artist, t.title, t.album, t.mb_recording_id, "
        "t.duration FROM plays p JOIN tracks t ON t.id = p.track_id "
    )
    if not include_skips:
        sql += "WHERE p.skipped = 0 "
    sql += "ORDER BY p.started_at"
    count = 0
    tmp = out.with_name(out.name + ".part")
    with tmp.open("w", encoding="utf-8") as fh:
        for started, _secs, artist, title, album, mbid, duration in store.conn.execute(sql):
            info: dict[str, object] = {"media_player": "Tonearm", "submission_client": "tonearm"}
            if mbid:
                info["recording_mbid"] = mbid
            if duration:
                info["duration_ms"] = round(duration * 1000)
            meta: dict[str, object] = {
                "artist_name": artist or "",
                "track_name": title or "",
                "additional_info": info,
            }
            if album:
                meta["release_name"] = album
            fh.write(json.dumps({"listened_at": int(started), "track_metadata": meta}) + "\n")
            count += 1
    tmp.replace(out)
    return count


def unmatched_count(store: Store) -> int:
    return int(store.conn.execute("SELECT count(*) FROM unmatched_listens").fetchone()[0])
