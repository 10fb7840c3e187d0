"""What the history view charts: plays per day, top artists and top tracks over a period.

Days are local calendar days (a listener thinks of "Tuesday", not UTC). Skips are counted
apart: they show up in the chart but never lift an artist or a track into a top list.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from recommender.library.store import Store


@dataclass(frozen=True, slots=True)
class DayCount:
    day: dt.date
    plays: int  # including skips
    skips: int
    seconds: float  # listened, skips included


@dataclass(frozen=True, slots=True)
class TopArtist:
    artist: str
    plays: int


@dataclass(frozen=True, slots=True)
class TopTrack:
    track_id: int
    artist: str | None
    title: str | None
    plays: int


def _day_start(day: dt.date) -> float:
    return dt.datetime.combine(day, dt.time()).timestamp()


def period_start(days: int | None, now: float | None = None) -> float | None:
    """Epoch seconds of local midnight `days - 1` days before today (None: all time)."""
    if days is None:
        return None
    today = dt.datetime.fromtimestamp(time.time() if now is None else now).date()
    return _day_start(today - dt.timedelta(days=days - 1))


def plays_per_day(store: Store, days: int = 30, now: float | None = None) -> list[DayCount]:
    """One entry per day of the last `days` days, oldest first, zero days included."""
    today = dt.datetime.fromtimestamp(time.time() if now is None else now).date()
    first = today - dt.timedelta(days=days - 1)
    rows = store.conn.execute(
        "SELECT date(started_at, 'unixepoch', 'localtime') AS d, count(*), "
        "coalesce(sum(skipped), 0), coalesce(sum(seconds_played), 0) FROM plays "
        "WHERE started_at >= ? AND started_at < ? GROUP BY d",
        (_day_start(first), _day_start(today + dt.timedelta(days=1))),
    ).fetchall()
    counts = {dt.date.fromisoformat(d): (n, s, sec) for d, n, s, sec in rows}
    out = []
    for i in range(days):
        day = first + dt.timedelta(days=i)
        out.append(DayCount(day, *counts.get(day, (0, 0, 0.0))))
    return out


def top_artists(store: Store, n: int = 10, since: float | None = None) -> list[TopArtist]:
    """Artists by plays that were not skips, most first (ties by name)."""
    rows = store.conn.execute(
        "SELECT coalesce(t.artist, t.albumartist) AS a, count(*) AS c FROM plays p "
        "JOIN tracks t ON t.id = p.track_id WHERE p.skipped = 0 AND p.started_at >= ? "
        "AND a IS NOT NULL GROUP BY a COLLATE NOCASE ORDER BY c DESC, a COLLATE NOCASE LIMIT ?",
        (since if since is not None else float("-inf"), int(n)),
    ).fetchall()
    return [TopArtist(a, c) for a, c in rows]


def top_tracks(store: Store, n: int = 10, since: float | None = None) -> list[TopTrack]:
    """Tracks by plays that were not skips, most first (ties: the latest played first)."""
    rows = store.conn.execute(
        "SELECT p.track_id, t.artist, t.title, count(*) AS c, max(p.started_at) AS last "
        "FROM plays p JOIN tracks t ON t.id = p.track_id WHERE p.skipped = 0 "
        "AND p.started_at >= ? GROUP BY p.track_id ORDER BY c DESC, last DESC LIMIT ?",
        (since if since is not None else float("-inf"), int(n)),
    ).fetchall()
    return [TopTrack(tid, a, t, c) for tid, a, t, c, _ in rows]
