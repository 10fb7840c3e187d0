"""Smart playlists: a saved query with a sort and a limit that follows library and history."""

from __future__ import annotations

import pytest

from recommender.core.errors import UsageError
from recommender.history.plays import record_play
from recommender.playlists.edit import list_playlists
from recommender.playlists.saved import delete_playlist, rename_playlist
from recommender.playlists.smart import (
    SmartRule,
    create_smart_playlist,
    playlist_contents,
    smart_rule,
    smart_track_ids,
    update_smart_rule,
)
from tests.recommender.history_factory import add_tracks


@pytest.fixture
def jazz_and_rock(store):
    jazz = add_tracks(store, [(f"Jazz {i}", f"Tune {i}") for i in range(6)], genre="Jazz")
    rock = add_tracks(store, [(f"Rock {i}", f"Song {i}") for i in range(4)], genre="Rock")
    with store.transaction() as conn:
        for i, tid in enumerate(jazz):
            conn.execute("UPDATE tracks SET year = ? WHERE id = ?", (1950 + 3 * i, tid))
    return jazz, rock


def _play(store, tid, n=1, *, skipped=False):
    for _ in range(n):
        record_play(store, tid, 5.0 if skipped else 200.0, duration=200.0)


def test_query_year_range_sort_and_limit_select_the_most_played(store, jazz_and_rock):
    jazz, rock = jazz_and_rock  # years 1950, 1953, ..., 1965 for jazz[0] to jazz[5]
    _play(store, jazz[2], 3)
    _play(store, jazz[4], 5)
    _play(store, rock[0], 9)
    _play(store, jazz[1], 8, skipped=True)  # skips are not plays
    rule = SmartRule("genre:jazz year:1953..1962", "most_played", 3)  # jazz[1] to jazz[4]
    assert smart_track_ids(store, rule) == [jazz[4], jazz[2], jazz[1]]


def test_smart_playlist_follows_new_plays_and_new_tracks(store, jazz_and_rock):
    jazz, _ = jazz_and_rock
    pid = create_smart_playlist(store, "Jazz I play", SmartRule("genre:jazz", "most_played", 2))
    _play(store, jazz[0], 2)
    _play(store, jazz[3], 1)
    assert playlist_contents(store, pid) == [jazz[0], jazz[3]]
    _play(store, jazz[3], 2)
    assert playlist_contents(store, pid) == [jazz[3], jazz[0]]
    update_smart_rule(store, pid, SmartRule("genre:jazz", "recently_added", None))
    (new,) = add_tracks(store, [("Newcomer", "Fresh")], genre="Jazz")
    assert len(playlist_contents(store, pid)) == 7 and new in playlist_contents(store, pid)


def test_smart_playlists_are_listed_renamed_and_deleted_like_others(store, jazz_and_rock):
    pid = create_smart_playlist(store, "Old jazz", SmartRule("genre:jazz year:..1955"))
    (info,) = list_playlists(store)
    assert info.smart and info.name == "Old jazz"
    assert smart_rule(store, pid) == SmartRule("genre:jazz year:..1955", "most_played", 50)
    rename_playlist(store, pid, "Early jazz")
    assert list_playlists(store)[0].name == "Early jazz"
    delete_playlist(store, pid)
    assert list_playlists(store) == []


@pytest.mark.parametrize(
    "rule",
    [SmartRule("year:19x5"), SmartRule("genre:jazz", "loudest"), SmartRule("jazz", limit=0)],
)
def test_bad_rules_are_refused_with_a_message(store, rule):
    with pytest.raises(UsageError):
        create_smart_playlist(store, "Bad", rule)
    assert list_playlists(store) == []


def test_a_smart_playlist_seeds_a_radio_with_what_it_holds_now(store, jazz_and_rock):
    from recommender.discovery.radio import resolve_seed

    jazz, _ = jazz_and_rock
    create_smart_playlist(store, "Early jazz", SmartRule("genre:jazz year:..1956", "year", None))
    seed = resolve_seed(store, "playlist:Early jazz")
    assert seed.kind == "playlist" and seed.track_ids == tuple(jazz[:3])
