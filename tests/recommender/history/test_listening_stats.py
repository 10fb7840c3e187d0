"""Plays per day and top artists/tracks for the history view."""

from __future__ import annotations

import datetime as dt

from recommender.history.stats import period_start, plays_per_day, top_artists, top_tracks
from tests.recommender.history_factory import DAY_S, add_session, add_tracks

NOON_TODAY = dt.datetime.combine(dt.date.today(), dt.time(12)).timestamp()


def test_plays_per_day_counts_each_local_day_with_its_skips(store):
    ids = add_tracks(store, [("A", "One"), ("B", "Two"), ("C", "Three")])
    add_session(store, ids, NOON_TODAY - 2 * DAY_S, skipped={ids[1]})
    add_session(store, ids[:1], NOON_TODAY - 40 * DAY_S)  # outside the window
    add_session(store, ids[:2], NOON_TODAY)
    days = plays_per_day(store, 7, now=NOON_TODAY)
    assert len(days) == 7 and days[-1].day == dt.date.today()
    assert [(d.plays, d.skips) for d in days] == [(0, 0)] * 4 + [(3, 1), (0, 0), (2, 0)]
    assert days[4].seconds == 200 + 10 + 200


def test_top_artists_and_tracks_ignore_skips_and_respect_the_period(store):
    a1, a2, b1, c1 = add_tracks(store, [("Alma", "1"), ("Alma", "2"), ("Bo", "1"), ("Cy", "1")])
    add_session(store, [b1, b1, b1, b1, a1], NOON_TODAY - 100 * DAY_S)  # before the period
    add_session(store, [a1, a2, a1, b1, c1, c1, c1], NOON_TODAY, skipped={c1})
    since = period_start(30, now=NOON_TODAY)
    assert [(t.artist, t.plays) for t in top_artists(store, 5, since)] == [("Alma", 3), ("Bo", 1)]
    assert [t.track_id for t in top_tracks(store, 2, since)] == [a1, b1]
    assert [(t.artist, t.plays) for t in top_artists(store, 1)] == [("Bo", 5)]
