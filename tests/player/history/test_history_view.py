"""The History tab: skip marks, top artists, plays per day, and a refresh when a play lands.

No main window: the view gets a fake context; a play is written as the window's writer does,
then announced on the context's events."""

from __future__ import annotations

import datetime as dt
import time

from player.history.history_view import SKIP_MARK, install_history
from recommender.history.plays import record_play
from tests.recommender.history_factory import DAY_S, add_session, add_tracks

NOON = dt.datetime.combine(dt.date.today(), dt.time(12)).timestamp()


def _column(tree, col: int) -> list[str]:
    return [tree.topLevelItem(i).text(col) for i in range(tree.topLevelItemCount())]


def _open(qtbot, make_app):
    app = make_app()
    view = install_history(app.ctx)
    with qtbot.waitSignal(view.refreshed, timeout=5000):
        app.show_view(view)
    return app, view


def test_recent_plays_show_skip_marks_and_top_artists(qtbot, make_app, store):
    a1, a2, b1, c1 = add_tracks(
        store, [("Alma Reyes", "Tide"), ("Alma Reyes", "Salt"), ("Bo Lind", "Fog"), ("Cy", "Hum")]
    )
    add_session(store, [a1, b1, a2, a1, a1], NOON - 3 * DAY_S)
    add_session(store, [c1, c1, c1, b1], NOON - DAY_S, skipped={c1})
    _app, view = _open(qtbot, make_app)
    tracks, marks = _column(view.recent, 1), _column(view.recent, 3)
    assert tracks[0] == "Bo Lind – Fog" and marks[0] == ""
    assert tracks[1:4] == ["Cy – Hum"] * 3 and marks[1:4] == [SKIP_MARK] * 3
    assert _column(view.artists, 0) == ["Alma Reyes", "Bo Lind"]  # skips do not count
    assert _column(view.artists, 1) == ["4", "2"]
    assert _column(view.top_tracks, 0)[0] == "Alma Reyes – Tide"
    days = view.chart.days
    assert len(days) == 30 and days[-2].plays == 4 and days[-2].skips == 3
    assert "9 plays, 3 skipped" in view.summary.text()


def test_a_recorded_play_appears_without_reopening(qtbot, make_app, store):
    (tid,) = add_tracks(store, [("Nadia Kestrel", "Static Bloom")])
    app, view = _open(qtbot, make_app)
    assert view.recent.topLevelItemCount() == 0 and "Nothing played" in view.summary.text()
    play = record_play(
        store, tid, 12.0, started_at=time.time() - 12, duration=200.0, completed=False
    )
    with qtbot.waitSignal(view.refreshed, timeout=5000):
        app.ctx.events.play_recorded(play)
    assert _column(view.recent, 1) == ["Nadia Kestrel – Static Bloom"]
    assert _column(view.recent, 3) == [SKIP_MARK]
    assert view.chart.days[-1].plays == 1 and view.chart.days[-1].skips == 1
    assert _column(view.artists, 0) == []  # a skip is no vote for the artist


def test_chart_paints_and_names_the_day_under_the_pointer(qtbot, make_app, store):
    ids = add_tracks(store, [("A", "1"), ("B", "2")])
    add_session(store, ids, NOON - 2 * DAY_S)
    _app, view = _open(qtbot, make_app)
    view.period.setCurrentIndex(0)  # last 7 days
    qtbot.waitUntil(lambda: len(view.chart.days) == 7)
    image = view.chart.grab().toImage()
    assert not image.isNull()
    plot = view.chart._plot_rect()
    x = plot.left() + plot.width() * (4.5 / 7)  # the bar of two days ago
    assert view.chart.days[view.chart.bar_at(x)].plays == 2
