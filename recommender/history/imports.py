"""Bring listening history in from ListenBrainz, Last.fm and portable players' scrobbler logs,
and write it out in forms ListenBrainz accepts.

Imported listens become plays (context "import:<source>") matched by `LibraryMatcher`: by
MusicBrainz id, else artist and title, with the album and the track's length deciding between
same-named tracks. The ones the library cannot place yet wait in `unmatched_listens` and are
tried again by `rematch_unmatched` after later scans. A listen of a track within
`DUPLICATE_WINDOW_S` of a play of that track already in the history (from any source, or
earlier in the same file) is the same listen, so importing a file twice, or one history
exported from two services, adds each listen once.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from recommender.core.errors import NotFoundError, UsageError
from recommender.core.progress import CancelCheck, Progress, ProgressCallback, never_cancel
from recommender.history.lastfm_csv import read_lastfm_csv
from recommender.history.listenbrainz import (
    SOURCE_LISTENBRAINZ,
    PlayToSend,
    listen_json,
    read_listenbrainz_text,
    read_listenbrainz_zip,
    submit_documents,
    to_listenbrainz,
)
from recommender.history.listens import Listen, ListenFile
from recommender.history.plays import SKIP_MAX_S, is_completed, is_skip
from recommender.history.scrobbler_log import is_scrobbler_log, read_scrobbler_log
from recommender.library.matching import LibraryMatcher
from recommender.library.store import Store

IMPORT_CONTEXT_PREFIX = "import:"
DEFAULT_LISTEN_S = 180.0
"""Seconds credited to a listen whose length neither the file nor the library knows."""
DUPLICATE_WINDOW_S = 60.0
"""A listen this close to a play of the same track is that play (services' clocks and
rounding differ by seconds; nobody hears one track twice within a minute)."""
_BATCH = 5000
_ADD_PLAY_SQL = (
    "INSERT OR IGNORE INTO plays(track_id, started_at, seconds_played, completed, skipped, "
    "context) SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE NOT EXISTS (SELECT 1 FROM plays "
    "WHERE track_id = ?1 AND started_at BETWEEN ?2 - ?7 AND ?2 + ?7)"
)
"""One play unless the history holds the track within the window; the (track, start) index
`plays_unique_import` answers the check, and rows added earlier in the same batch count."""
ExportFormat = Literal["jsonl", "payload"]


@dataclass(frozen=True)
class ImportReport:
    read: int
    matched: int
    added: int
    unmatched: int
    already_known: int
    """Matched listens the history already held (this file before, or the same listen from
    another source)."""
    dropped: int = 0
    """Lines or items of the file that are no listen (their reasons: `drop_reasons`)."""
    drop_reasons: tuple[str, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class ExportReport:
    written: int
    files: tuple[Path, ...]
    left_out: dict[str, int]
    """Plays ListenBrainz would refuse, by reason."""


def read_listens(path: Path) -> ListenFile:
    """The listens of a ListenBrainz export (zip, JSON, JSON lines, API answer or submit
    document), a Last.fm scrobble CSV or a `.scrobbler.log`, told apart by their content."""
    if path.suffix.lower() == ".zip":
        return read_listenbrainz_zip(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise NotFoundError(f"no such file: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from exc
    if is_scrobbler_log(text):
        return read_scrobbler_log(text, path.name)
    if text.lstrip().startswith(("[", "{")):
        out = ListenFile(SOURCE_LISTENBRAINZ)
        read_listenbrainz_text(text, path.name, out)
        return out
    scrobbles = read_lastfm_csv(text, path.name)
    if scrobbles is None:
        raise UsageError(
            f"{path} is no listening history Tonearm knows: expected ListenBrainz listens "
            "(an export .zip, JSON or JSON lines), a Last.fm scrobble CSV or a .scrobbler.log"
        )
    return scrobbles


def import_listens(
    store: Store,
    path: Path,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck = never_cancel,
) -> ImportReport:
    """Read a listens file, add matched listens as plays and keep the rest for later scans."""
    found = read_listens(path)
    listens = found.listens
    matcher = LibraryMatcher.from_store(store)
    context = IMPORT_CONTEXT_PREFIX + found.source
    state = Progress(0, len(listens), "importing")
    matched = added = unmatched = 0
    for start in range(0, len(listens), _BATCH):
        if cancel():
            break
        plays, waiting = [], []
        for listen in listens[start : start + _BATCH]:
            tid = _match(matcher, listen)
            if tid is None:
                waiting.append(listen)
                continue
            matched += 1
            outcome = _outcome(listen, matcher.durations.get(tid))
            plays.append((tid, listen.listened_at, *outcome, context, DUPLICATE_WINDOW_S))
        with store.transaction() as conn:
            before = conn.total_changes
            conn.executemany(_ADD_PLAY_SQL, plays)
            added += conn.total_changes - before
            conn.executemany(
                "INSERT OR IGNORE INTO unmatched_listens(source, listened_at, artist, title, "
                "album, mb_recording_id, seconds_played, duration, skipped) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (found.source, x.listened_at, x.artist, x.title, x.album, x.mb_recording_id,
                     x.seconds_played, x.duration_s, None if x.skipped is None else int(x.skipped))
                    for x in waiting
                ],
            )  # fmt: skip
            unmatched += len(waiting)
        state.done = min(start + _BATCH, len(listens))
        if progress:
            progress(state)
    return ImportReport(
        len(listens),
        matched,
        added,
        unmatched,
        matched - added,
        found.dropped,
        tuple(found.reasons),
        found.source,
    )


def _match(matcher: LibraryMatcher, listen: Listen) -> int | None:
    return matcher.match(
        listen.artist,
        listen.title,
        listen.mb_recording_id,
        album=listen.album,
        duration_s=listen.duration_s,
    )


def _outcome(listen: Listen, duration: float | None) -> tuple[float, int, int]:
    """(seconds, completed, skipped): a scrobble counts as a full listen unless the file says
    how long it played or that it was skipped."""
    length = listen.duration_s or duration
    if listen.skipped:
        return listen.seconds_played or 0.0, 0, 1
    if listen.seconds_played is None:
        return max(length or DEFAULT_LISTEN_S, SKIP_MAX_S), 1, 0
    secs = listen.seconds_played
    done = is_completed(secs, length)
    skipped = is_skip(secs, length, done) if listen.skipped is None else False
    return secs, int(done), int(skipped)


def rematch_unmatched(store: Store) -> int:
    """Try waiting listens against the library again (after a scan); returns how many match."""
    rows = store.conn.execute(
        "SELECT id, source, listened_at, artist, title, album, mb_recording_id, seconds_played, "
        "duration, skipped FROM unmatched_listens"
    ).fetchall()
    if not rows:
        return 0
    matcher = LibraryMatcher.from_store(store)
    plays, done = [], []
    for row_id, source, when, artist, title, album, mbid, seconds, length, skipped in rows:
        listen = Listen(
            when, artist or "", title or "", album, mbid, length, None, seconds,
            None if skipped is None else bool(skipped),
        )  # fmt: skip
        tid = _match(matcher, listen)
        if tid is None:
            continue
        outcome = _outcome(listen, matcher.durations.get(tid))
        plays.append((tid, when, *outcome, IMPORT_CONTEXT_PREFIX + source, DUPLICATE_WINDOW_S))
        done.append((row_id,))
    with store.transaction() as conn:
        conn.executemany(_ADD_PLAY_SQL, plays)
        conn.executemany("DELETE FROM unmatched_listens WHERE id = ?", done)
    return len(done)


def export_listens(
    store: Store,
    out: Path,
    *,
    include_skips: bool = False,
    form: ExportFormat = "jsonl",
    now: float | None = None,
) -> ExportReport:
    """Write plays (oldest first) as ListenBrainz listens: JSON lines in the file `out`, or
    (`form="payload"`) submit documents `listens-0001.json`, … in the new folder `out`, each
    one request under ListenBrainz's limits. Plays it would refuse are left out and counted."""
    left_out: Counter[str] = Counter()
    written = 0
    clock = time.time() if now is None else now

    def listens() -> Iterable[dict[str, object]]:
        nonlocal written
        for play in _plays_to_send(store, include_skips):
            listen = to_listenbrainz(play, clock)
            if isinstance(listen, str):
                left_out[listen] += 1
            else:
                written += 1
                yield listen

    if form == "payload":
        files = _write_documents(out, listens())
    else:
        files = (out,)
        tmp = out.with_name(out.name + ".part")
        with tmp.open("w", encoding="utf-8") as fh:
            for listen in listens():
                fh.write(listen_json(listen) + "\n")
        tmp.replace(out)
    return ExportReport(written, files, dict(left_out))


def _write_documents(folder: Path, listens: Iterable[dict[str, object]]) -> tuple[Path, ...]:
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise UsageError(f"{folder} must be a new or empty folder for --format payload")
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for number, document in enumerate(submit_documents(listens), 1):
        path = folder / f"listens-{number:04d}.json"
        path.write_text(document, encoding="utf-8")
        files.append(path)
    return tuple(files)


def _plays_to_send(store: Store, include_skips: bool) -> Iterable[PlayToSend]:
    sql = (
        "SELECT p.started_at, p.seconds_played, p.skipped, coalesce(t.artist, t.albumartist), "
        "t.title, t.album, t.duration, t.mb_recording_id, t.mb_album_id, t.mb_artist_id, "
        "t.tracknumber FROM plays p JOIN tracks t ON t.id = p.track_id "
    )
    if not include_skips:
        sql += "WHERE p.skipped = 0 "
    sql += "ORDER BY p.started_at"
    for row in store.conn.execute(sql):
        yield PlayToSend(row[0], row[1], bool(row[2]), *row[3:])


def unmatched_count(store: Store) -> int:
    return int(store.conn.execute("SELECT count(*) FROM unmatched_listens").fetchone()[0])
