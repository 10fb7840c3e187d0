"""What plays next: queued tracks first, then the library list; repeat and shuffle rules."""

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
    assert order.advance().track_id == 1


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


def test_moving_rows_keeps_the_playing_entry():
    order = PlayOrder(queue=[1, 2, 3, 4])
    order.start_queue(2)  # track 3
    order.move([0], 4)
    assert order.queue == [2, 3, 4, 1]
    assert order.current().track_id == 3
    order.remove([0])
    assert order.current().track_id == 3 and order.queue == [3, 4, 1]


def test_shuffled_library_still_plays_queued_tracks_first():
    order = PlayOrder(shuffle=True, rng=random.Random(5))
    order.start_library(np.arange(100, 200), 0)
    order.insert(order.queue_index + 1, [7])
    assert order.advance().track_id == 7
    assert 100 <= order.advance().track_id < 200
