"""The in-memory library columns: the cache is exact and follows every change to the tracks."""

from __future__ import annotations

import os

import numpy as np

from recommender.core.datadir import cache_dir
from recommender.library.columns import CACHE_FILE, browser_values, load_library_columns
from tests.library_factory import insert_file, insert_library


def _same(a, b) -> bool:
    return (
        np.array_equal(a.ids, b.ids)
        and a.title == b.title
        and a.path == b.path
        and a.genre == b.genre
        and np.array_equal(a.plays, b.plays)
        and np.allclose(a.duration, b.duration, equal_nan=True)
    )


def test_cached_columns_equal_a_fresh_read(store):
    insert_library(store, 700, plays=300)
    odd = os.fsdecode(b"/music/caf\xe9/odd \xff name.flac")  # not UTF-8: stored as bytes
    insert_file(store, odd, title=None, artist="Odd")
    fresh = load_library_columns(store)
    assert (cache_dir(store.path.parent) / CACHE_FILE).exists()
    cached = load_library_columns(store)
    assert _same(fresh, cached)
    assert odd in cached.path
    assert cached.title[cached.path.index(odd)] == odd.rsplit("/", 1)[-1]


def test_cache_follows_new_missing_and_played_tracks(store):
    insert_library(store, 100)
    before = load_library_columns(store)
    store.conn.execute("UPDATE tracks SET missing = 1 WHERE id = 5")
    insert_file(store, "/music/new.flac", title="New one")
    store.conn.execute(
        "INSERT INTO plays(track_id, started_at, seconds_played) VALUES (7, 1000, 200)"
    )
    after = load_library_columns(store)
    assert len(after) == len(before) and 5 not in after.ids and "New one" in after.title
    assert after.plays[after.row_of(7)] == 1 and after.last_played[after.row_of(7)] == 1200


def test_browser_counts_tracks_per_artist(store):
    insert_library(store, 240)
    columns = load_library_columns(store)
    entries = dict(browser_values(columns, "artist"))
    assert sum(entries.values()) == 240
    assert list(entries) == sorted(entries, key=str.casefold)
