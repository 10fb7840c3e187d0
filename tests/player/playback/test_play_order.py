"""What plays next: queued tracks first (each leaves the queue as it starts), then the library
list; repeat and shuffle rules."""

from __future__ import annotations

import random

import numpy as np

from player.playback.play_order import PlayOrder


def test_library_list_continues_after_queued_tracks():
    order = PlayOrder()
    order.start_library(np.array([10, 11, 12]), 0)
    order.insert(0, [99])  # "play next" while playing from the library
    assert order.advance().track_id == 99
    assert order.advance().track_id == 11
    assert order.advance().track_id == 12
    assert order.advance() is None


def test_repeat_one_replays_only_when_a_track_ends():
    order = PlayOrder(queue=[1, 2, 3], repeat="one")
    order.start_queue(0)
    assert order.advance(automatic=True).track_id == 1
    assert order.advance(automatic=False).track_id == 2


def test_repeat_all_wraps_the_queue():
    order = PlayOrder(queue=[1, 2], repeat="all")
    order.start_queue(1)
    assert [order.advance().track_id for _ in range(4)] == [1, 2, 1, 2]
    assert order.queue == [1]  # what has played goes to the back under repeat all
    one = PlayOrder(queue=[5], repeat="all")
    one.start_queue(0)
    assert one.peek_next() == one.advance() and one.current().track_id == 5


def test_previous_walks_back_through_what_played_in_shuffle():
    order = PlayOrder(queue=list(range(20)), shuffle=True, rng=random.Random(3))
    order.start_queue(0)
    played = [order.advance().track_id for _ in range(4)]
    assert len(set(played)) > 1 and 0 not in played[:1]
    assert order.previous().track_id == played[-2]
    assert order.previous().track_id == played[-3]


def test_peek_matches_the_next_advance_even_in_shuffle():
    order = PlayOrder(queue=list(range(50)), shuffle=True, rng=random.Random(1))
    order.start_queue(0)
    for _ in range(10):
        peeked = order.peek_next()
        assert order.advance() == peeked


def test_played_tracks_leave_the_queue_and_previous_puts_them_back():
    order = PlayOrder(queue=[1, 2, 3, 4])
    assert order.start_queue(2).track_id == 3
    assert order.queue == [1, 2, 4]  # the entries above it are still to come
    assert order.advance().track_id == 1
    assert order.queue == [2, 4]
    order.move([1], 0)
    assert order.queue == [4, 2] and order.current().track_id == 1
    assert order.previous().track_id == 3
    assert order.queue == [1, 4, 2]  # left by Previous: it comes again next
    assert order.advance().track_id == 1


def test_a_list_started_on_a_queued_track_takes_it_out_of_the_queue():
    order = PlayOrder(queue=[7, 8])
    order.start_library(np.array([5, 7, 9]), 1)
    assert order.queue == [8]
    assert [order.advance().track_id for _ in range(2)] == [8, 9]
    assert order.ahead(5) == []


def test_the_list_ahead_shows_and_loses_removed_tracks():
    order = PlayOrder()
    removed: list[list[int]] = []
    order.ahead_removed.append(removed.append)
    order.start_library(np.arange(10, 20), 0)
    assert order.ahead(3) == [11, 12, 13]
    assert order.remove_ahead([1]) == [12]
    assert removed == [[12]] and order.ahead(3) == [11, 13, 14]
    assert order.advance().track_id == 11
    assert order.advance().track_id == 13


def test_shuffled_library_still_plays_queued_tracks_first():
    order = PlayOrder(shuffle=True, rng=random.Random(5))
    order.start_library(np.arange(100, 200), 0)
    order.insert(0, [7])
    assert order.advance().track_id == 7
    assert 100 <= order.advance().track_id < 200


def test_the_list_carries_on_after_the_last_queued_track_it_holds():
    # Queue two tracks further down the album being played: after them the album carries on
    # from the second, and neither plays twice (what the panel showed before: both again).
    order = PlayOrder()
    order.start_library(np.arange(10, 20), 1)  # playing 11
    order.insert(0, [15, 99, 16])  # 99 is from elsewhere
    assert order.ahead(3) == [17, 18, 19]
    assert [order.advance().track_id for _ in range(5)] == [15, 99, 16, 17, 18]
    assert order.ahead(3) == [19]


def test_removing_from_the_list_ahead_takes_what_the_panel_shows():
    order = PlayOrder()
    order.start_library(np.arange(10, 20), 0)
    order.insert(0, [13])
    assert order.ahead(2) == [14, 15]
    assert order.remove_ahead([0]) == [14]
    assert [order.advance().track_id for _ in range(2)] == [13, 15]
