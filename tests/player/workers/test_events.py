"""Data-side events: typed, announced once per burst, and silent once the app closes."""

from __future__ import annotations

from player.workers.events import (
    EmbeddingsChanged,
    LibraryEvents,
    PlaylistsChanged,
    PlaysRecorded,
    TracksChanged,
)
from recommender.history.plays import Play


def _play(play_id: int, track_id: int, skipped: bool = False) -> Play:
    return Play(play_id, track_id, 1000.0 + play_id, 12.0, not skipped, skipped, "radio")


def _record(events: LibraryEvents) -> list:
    seen: list = []
    for signal in (
        events.tracksChanged,
        events.embeddingsChanged,
        events.playlistsChanged,
        events.playsRecorded,
    ):
        signal.connect(seen.append)
    return seen


def test_a_burst_of_writes_is_announced_once_per_kind_in_order(qtbot):
    events = LibraryEvents()
    seen = _record(events)
    events.play_recorded(_play(1, 10, skipped=True))
    events.tracks_changed(TracksChanged(added=3))
    events.play_recorded(_play(2, 11))
    events.playlist_changed(7)
    events.tracks_changed(TracksChanged(updated=2, removed=1))
    events.embeddings_changed(5)
    events.playlist_changed(8)
    events.playlist_changed(7)
    assert seen == [] and events.pending()  # nothing until the burst is over
    with qtbot.waitSignal(events.playsRecorded, timeout=2000):
        pass
    assert seen == [
        TracksChanged(added=3, updated=2, removed=1),
        EmbeddingsChanged(5),
        PlaylistsChanged(frozenset({7, 8})),
        PlaysRecorded((_play(1, 10, skipped=True), _play(2, 11))),
    ]
    assert not events.pending()


def test_writes_apart_are_announced_apart(qtbot):
    events = LibraryEvents(coalesce_ms=10)
    seen = _record(events)
    events.play_recorded(_play(1, 10))
    qtbot.waitUntil(lambda: len(seen) == 1, timeout=2000)
    events.play_recorded(_play(2, 11))
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=2000)
    assert [[p.id for p in change.plays] for change in seen] == [[1], [2]]


def test_changes_that_change_nothing_are_not_announced(qtbot):
    events = LibraryEvents()
    seen = _record(events)
    events.tracks_changed(TracksChanged())  # a rescan that found nothing new
    events.embeddings_changed(0)  # an analysis with nothing to do
    assert not events.pending()
    events.flush()
    assert seen == []


def test_after_close_nothing_is_announced(qtbot):
    events = LibraryEvents()
    seen = _record(events)
    events.play_recorded(_play(1, 10))
    events.close()  # the window is closing: its views need no more news
    events.play_recorded(_play(2, 11))
    events.playlist_changed(3)
    assert not events.pending()  # no timer runs, so nothing will be announced later
    events.flush()
    assert seen == []
