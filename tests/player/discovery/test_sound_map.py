"""The Sound map tab: a note without embeddings, the same map every time, click and rubber band.

No main window: a fake context records what the view asks to play and the messages it gives."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from player.discovery.sound_map import NO_EMBEDDINGS, install_sound_map
from recommender.playlists.edit import list_playlists
from recommender.playlists.saved import playlist_track_ids
from tests.library_factory import insert_library
from tests.recommender.history_factory import add_embeddings


def _open(qtbot, make_app):
    app = make_app()  # its host widget is 1100 x 760
    view = install_sound_map(app.ctx)
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        app.show_view(view)
    return app, view


@pytest.fixture
def analysed(store):
    insert_library(store, 150, plays=400)
    ids = [r[0] for r in store.conn.execute("SELECT id FROM tracks ORDER BY id")]
    rng = np.random.default_rng(11)
    centres = rng.normal(size=(4, 24)) * 2.5
    add_embeddings(store, {t: centres[i % 4] + rng.normal(size=24) for i, t in enumerate(ids)})
    return ids


def test_without_embeddings_the_tab_says_why_it_is_empty(qtbot, make_app, store):
    insert_library(store, 30)
    _app, view = _open(qtbot, make_app)
    assert view.pages.currentWidget() is view.note
    assert view.note.text() == NO_EMBEDDINGS and "analysed" in view.note.text()


def test_the_map_is_identical_between_runs_and_coloured_by_mix(qtbot, make_app, analysed):
    _a1, first = _open(qtbot, make_app)
    _a2, second = _open(qtbot, make_app)
    assert first.pages.currentWidget() is first.canvas
    assert first.map.track_ids.tolist() == analysed
    assert np.array_equal(first.canvas.xy, second.canvas.xy)
    assert len(first.canvas.legend) >= 2 and sum(s for _, _, s in first.canvas.legend) == 150
    first.colour_by.setCurrentIndex(1)  # genre
    assert [name for name, _, _ in first.canvas.legend][:1] == first.map.genre_names[:1]
    assert not first.canvas.grab().toImage().isNull()


def test_clicking_a_point_plays_that_track(qtbot, make_app, analysed):
    app, view = _open(qtbot, make_app)
    canvas = view.canvas
    px = canvas.to_widget(canvas.xy)
    gaps = np.linalg.norm(px[:, None, :] - px[None, :, :], axis=2)
    np.fill_diagonal(gaps, np.inf)
    loneliest = int(np.argmax(gaps.min(axis=1)))  # no neighbour can steal the click
    x, y = px[loneliest]
    qtbot.mouseMove(canvas, QPoint(round(x), round(y)))
    assert canvas.hover == loneliest
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(y)))
    assert [(p.track_ids, p.context) for p in app.played] == [
        ([view.track_id(loneliest)], "sound_map")
    ]


def test_a_rubber_band_makes_a_playlist_of_exactly_the_points_inside(
    qtbot, make_app, analysed, store
):
    app, view = _open(qtbot, make_app)
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
    with qtbot.waitSignal(app.ctx.events.playlistsChanged, timeout=5000) as changed:
        view.save_selection("Picked on the map")
    assert app.last_message.startswith(f"Saved {len(expected)} tracks")  # after the write
    (info,) = list_playlists(store)
    assert changed.args[0].playlist_ids == {info.id}
    assert info.name == "Picked on the map"
    assert sorted(playlist_track_ids(store, info.id)) == expected


def test_a_radio_starts_from_the_selection(qtbot, make_app, analysed):
    app, view = _open(qtbot, make_app)
    canvas = view.canvas
    canvas.set_selection(np.arange(0, 150, 10))
    view.radio_from_selection()
    qtbot.waitUntil(lambda: bool(app.played), timeout=20_000)
    ((ids, context),) = [(p.track_ids, p.context) for p in app.played]
    assert context == "radio" and len(ids) == 50 and len(set(ids)) == 50
    assert set(ids) <= set(analysed)
