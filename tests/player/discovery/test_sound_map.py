"""The Sound map tab: a note without embeddings, the same map every time, click and rubber band."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from player.discovery.sound_map import NO_EMBEDDINGS, install_sound_map
from recommender.playlists.edit import list_playlists
from recommender.playlists.saved import playlist_track_ids
from tests.library_factory import insert_library
from tests.recommender.history_factory import add_embeddings


def _open(qtbot, make_window):
    window = make_window()
    view = install_sound_map(window)
    window.resize(1100, 760)
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        window.show_view(view)
    return window, view


@pytest.fixture
def analysed(store):
    insert_library(store, 150, plays=400)
    ids = [r[0] for r in store.conn.execute("SELECT id FROM tracks ORDER BY id")]
    rng = np.random.default_rng(11)
    centres = rng.normal(size=(4, 24)) * 2.5
    add_embeddings(store, {t: centres[i % 4] + rng.normal(size=24) for i, t in enumerate(ids)})
    return ids


def test_without_embeddings_the_tab_says_why_it_is_empty(qtbot, make_window, store):
    insert_library(store, 30)
    _window, view = _open(qtbot, make_window)
    assert view.pages.currentWidget() is view.note
    assert view.note.text() == NO_EMBEDDINGS and "analysed" in view.note.text()


def test_the_map_is_identical_between_runs_and_coloured_by_mix(qtbot, make_window, analysed):
    _w1, first = _open(qtbot, make_window)
    _w2, second = _open(qtbot, make_window)
    assert first.pages.currentWidget() is first.canvas
    assert first.map.track_ids.tolist() == analysed
    assert np.array_equal(first.canvas.xy, second.canvas.xy)
    assert len(first.canvas.legend) >= 2 and sum(s for _, _, s in first.canvas.legend) == 150
    first.colour_by.setCurrentIndex(1)  # genre
    assert [name for name, _, _ in first.canvas.legend][:1] == first.map.genre_names[:1]
    assert not first.canvas.grab().toImage().isNull()


def test_clicking_a_point_plays_that_track(qtbot, make_window, analysed, monkeypatch):
    window, view = _open(qtbot, make_window)
    canvas = view.canvas
    px = canvas.to_widget(canvas.xy)
    gaps = np.linalg.norm(px[:, None, :] - px[None, :, :], axis=2)
    np.fill_diagonal(gaps, np.inf)
    loneliest = int(np.argmax(gaps.min(axis=1)))  # no neighbour can steal the click
    calls = []
    monkeypatch.setattr(window, "play_list", lambda ids, i, context: calls.append((ids, context)))
    x, y = px[loneliest]
    qtbot.mouseMove(canvas, QPoint(round(x), round(y)))
    assert canvas.hover == loneliest
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(y)))
    assert calls == [([view.track_id(loneliest)], "sound_map")]


def test_a_rubber_band_makes_a_playlist_of_exactly_the_points_inside(
    qtbot, make_window, analysed, store
):
    window, view = _open(qtbot, make_window)
    canvas = view.canvas
    px = canvas.to_widget(canvas.xy)
    centre = px[0]  # around one cluster, so some points are inside and some not
    start, end = QPoint(*(centre - 70).round().astype(int)), QPoint(*(centre + 50).astype(int))
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(canvas, QPoint(start.x() + 30, start.y() + 20))
    qtbot.mouseMove(canvas, end)
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=end)
    inside = (
        (px[:, 0] >= start.x()) & (px[:, 0] <= end.x())
        & (px[:, 1] >= start.y()) & (px[:, 1] <= end.y())
    )  # fmt: skip
    expected = sorted(int(t) for t in view.map.track_ids[inside])
    assert 5 < len(expected) < 150
    assert view.selection_bar.isVisibleTo(view) and f"{len(expected)} tracks" in (
        view.selection_label.text()
    )
    view.save_selection("Picked on the map")
    saved = f"Saved {len(expected)} tracks"
    qtbot.waitUntil(
        lambda: window.statusBar().currentMessage().startswith(saved)
    )  # after the write
    (info,) = list_playlists(store)
    assert info.name == "Picked on the map"
    assert sorted(playlist_track_ids(store, info.id)) == expected


def test_a_radio_starts_from_the_selection(qtbot, make_window, analysed, monkeypatch):
    window, view = _open(qtbot, make_window)
    canvas = view.canvas
    canvas.set_selection(np.arange(0, 150, 10))
    calls = []
    monkeypatch.setattr(window, "play_list", lambda ids, i, context: calls.append((ids, context)))
    view.radio_from_selection()
    qtbot.waitUntil(lambda: bool(calls), timeout=20_000)
    ((ids, context),) = calls
    assert context == "radio" and len(ids) == 50 and len(set(ids)) == 50
    assert set(ids) <= set(analysed)
