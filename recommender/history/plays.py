"""The play history: one API records every play; one function decides what counts as a skip."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from recommender.history.stats import top_artists
from recommender.library.store import Store

SKIP_MAX_S = 30.0
"""A play stopped before this many seconds is a skip…"""
SKIP_SHORT_TRACK_FRACTION = 0.5
"""…or, for a short track, before this fraction of its length."""
COMPLETED_FRACTION = 0.9
"""A play that reached this fraction of the track (or its end) counts as completed."""


@dataclass(frozen=True, slots=True)
class Play:
    id: int
    track_id: int
    started_at: float
    seconds_played: float
    completed: bool
    skipped: bool
    context: str


def is_skip(seconds_played: float, duration: float | None, completed: bool = False) -> bool:
    """A play stopped early: under 30 s, or under half of a track shorter than a minute."""
    if completed:
        return False
    if duration and duration > 0 and duration < 2 * SKIP_MAX_S:
        return seconds_played < duration * SKIP_SHORT_TRACK_FRACTION
    return seconds_played < SKIP_MAX_S


def is_completed(seconds_played: float, duration: float | None) -> bool:
    return duration is not None and duration > 0 and seconds_played >= COMPLETED_FRACTION * duration


def record_play(
    store: Store,
    track_id: int,
    seconds_played: float,
    *,
    started_at: float | None = None,
    duration: float | None = None,
    completed: bool | None = None,
    context: str = "library",
) -> Play:
    """Write one play in its own transaction. `completed` defaults from the track's duration."""
    if duration is None:
        row = store.conn.execute("SELECT duration FROM tracks WHERE id = ?", (track_id,)).fetchone()
        duration = row[0] if row else None
    seconds_played = max(0.0, float(seconds_played))
    done = is_completed(seconds_played, duration) if completed is None else completed
    skipped = is_skip(seconds_played, duration, done)
    started = time.time() - seconds_played if started_at is None else started_at
    with store.transaction() as conn:
        cur = conn.execute(
            "INSERT INTO plays(track_id, started_at, seconds_played, completed, skipped, context) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (track_id, started, seconds_played, int(done), int(skipped), context),
        )
    return Play(cur.lastrowid or 0, track_id, started, seconds_played, done, skipped, context)


@dataclass(frozen=True, slots=True)
class RecentPlay:
    """A play with what a listing shows beside it."""

    play: Play
    artist: str | None
    title: str | None
    path: str = ""

    @property
    def display_title(self) -> str:
        """The title, else the file name (the wording the library table uses)."""
        return self.title or self.path.rsplit("/", 1)[-1]


def recent_plays(store: Store, n: int = 20) -> list[RecentPlay]:
    """The last `n` plays, newest first."""
    rows = store.conn.execute(
        "SELECT p.id, p.track_id, p.started_at, p.seconds_played, p.completed, p.skipped, "
        "p.context, t.artist, t.title, t.path FROM plays p JOIN tracks t ON t.id = p.track_id "
        "ORDER BY p.started_at DESC, p.id DESC LIMIT ?",
        (int(n),),
    ).fetchall()
    return [
        RecentPlay(Play(r[0], r[1], r[2], r[3], bool(r[4]), bool(r[5]), r[6]), r[7], r[8], r[9])
        for r in rows
    ]


def history_stats(store: Store) -> dict[str, Any]:
    """Totals for `tonearm history`: plays, skips, hours, distinct tracks, top artists."""
    plays, completed, skipped, seconds, tracks, first, last = store.conn.execute(
        "SELECT count(*), coalesce(sum(completed), 0), coalesce(sum(skipped), 0), "
        "coalesce(sum(seconds_played), 0), count(DISTINCT track_id), min(started_at), "
        "max(started_at) FROM plays"
    ).fetchone()
    top = top_artists(store, 5)
    unmatched = store.conn.execute("SELECT count(*) FROM unmatched_listens").fetchone()[0]
    return {
        "plays": plays,
        "completed": completed,
        "skipped": skipped,
        "hours": round(seconds / 3600, 1),
        "distinct_tracks": tracks,
        "first_play": first,
        "last_play": last,
        "top_artists": [{"artist": t.artist, "plays": t.plays} for t in top],
        "unmatched_listens": unmatched,
    }


def dismiss_track(store: Store, track_id: int) -> None:
    """ "Not for me": remember it so that nothing suggests it again."""
    store.conn.execute(
        "INSERT INTO dismissed(track_id, at) VALUES (?, ?) "
        "ON CONFLICT(track_id) DO UPDATE SET at = excluded.at",
        (track_id, time.time()),
    )


def undismiss_track(store: Store, track_id: int) -> None:
    store.conn.execute("DELETE FROM dismissed WHERE track_id = ?", (track_id,))


def dismissed_ids(store: Store) -> set[int]:
    return {r[0] for r in store.conn.execute("SELECT track_id FROM dismissed")}


def most_played_ids(store: Store, n: int) -> list[int]:
    """Present tracks by how often they were played without a skip, most first."""
    return [
        r[0]
        for r in store.conn.execute(
            "SELECT t.id FROM tracks t WHERE t.missing = 0 ORDER BY (SELECT COUNT(*) FROM plays p "
            "WHERE p.track_id = t.id AND p.skipped = 0) DESC, t.id LIMIT ?",
            (n,),
        )
    ]


def favourite_track_ids(store: Store, since: float, n: int) -> list[int]:
    """Tracks played more than skipped since `since`, most played (then latest) first."""
    return [
        r[0]
        for r in store.conn.execute(
            "SELECT p.track_id, SUM(CASE WHEN p.skipped THEN -1 ELSE 1 END) AS weight, "
            "MAX(p.started_at) AS last FROM plays p JOIN tracks t ON t.id = p.track_id "
            "WHERE p.started_at >= ? AND t.missing = 0 GROUP BY p.track_id HAVING weight > 0 "
            "ORDER BY weight DESC, last DESC LIMIT ?",
            (since, n),
        )
    ]


def latest_listens(store: Store, n: int) -> list[tuple[int, int]]:
    """(track id, start time in whole seconds) of the latest plays, newest first."""
    return [
        (r[0], int(r[1]))
        for r in store.conn.execute(
            "SELECT track_id, CAST(started_at AS INTEGER) FROM plays "
            "ORDER BY started_at DESC LIMIT ?",
            (n,),
        )
    ]


def history_signature(store: Store) -> tuple:
    """Changes whenever a play is recorded or a track dismissed: when to rebuild a model."""
    return (
        tuple(store.conn.execute("SELECT count(*), max(id) FROM plays").fetchone()),
        tuple(store.conn.execute("SELECT count(*), max(at) FROM dismissed").fetchone()),
    )


def play_rows(store: Store) -> list[tuple]:
    """(track id, started at, completed, skipped, seconds played) of every play, unordered."""
    return store.conn.execute(
        "SELECT track_id, started_at, completed, skipped, seconds_played FROM plays"
    ).fetchall()
