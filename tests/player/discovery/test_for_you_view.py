"""The For you tab: suggestions with their reasons, play / queue / not interested, the source.

No main window: the view gets a fake context that records what it asks to play or queue."""

from __future__ import annotations

import json

from player.discovery.for_you_view import install_for_you
from recommender.remote.settings import enable_remote
from tests.player.discovery_library import make_discovery_library
from tests.recommender.remote_fakes import FakeServer, respond, valid_answer


def _open(qtbot, make_app):
    app = make_app()
    view = install_for_you(app.ctx)
    with qtbot.waitSignal(view.refreshed, timeout=20_000) as shown:
        app.show_view(view)
    return app, view, shown.args[0]


def test_rows_show_reasons_and_the_local_source(qtbot, make_app, store):
    make_discovery_library(store)
    _app, view, outcome = _open(qtbot, make_app)
    rows = view.rows()
    assert len(rows) >= 10
    reasons = [r.reasons_label.text() for r in rows]
    assert all(reasons)
    assert any("because you played" in r for r in reasons)
    assert any("sounds like" in r for r in reasons)
    assert outcome.source == "local" and "local" in view.source_label.text()
    assert all({"play", "queue", "dismiss"} == set(r.buttons) for r in rows)


def test_play_and_queue_buttons(qtbot, make_app, store):
    make_discovery_library(store)
    app, view, _ = _open(qtbot, make_app)
    rows = view.rows()
    rows[1].buttons["queue"].click()
    assert app.queued == [[rows[1].rec.track.id]]
    rows[2].buttons["play"].click()
    (played,) = app.played
    assert played.context == "for_you"
    assert played.first == rows[2].rec.track.id
    assert played.track_ids[0] == rows[0].rec.track.id  # the list carries on


def test_not_interested_removes_the_row_and_is_remembered(qtbot, make_app, store):
    make_discovery_library(store)
    _app, view, _ = _open(qtbot, make_app)
    first = view.rows()[0].rec.track.id
    with qtbot.waitSignal(view.dismissed, timeout=5000):
        view.rows()[0].buttons["dismiss"].click()
    assert first not in [r.rec.track.id for r in view.rows()]
    assert store.conn.execute("SELECT 1 FROM dismissed WHERE track_id = ?", (first,)).fetchone()
    with qtbot.waitSignal(view.refreshed, timeout=20_000):
        view.refresh_button.click()
    assert first not in [r.rec.track.id for r in view.rows() if r.rec.track]


def test_remote_answer_is_blended_and_discover_items_are_not_playable(
    qtbot, make_app, store, data_dir
):
    ids = make_discovery_library(store)
    artist, title = store.conn.execute(
        "SELECT artist, title FROM tracks WHERE id = ?", (ids[100],)
    ).fetchone()
    items = [
        {"artist": artist, "title": title, "score": 0.9, "reason": "liked by similar listeners"},
        {"artist": "Nobody Here", "title": "Elsewhere", "score": 0.8, "reason": "new to you"},
    ]
    server = FakeServer(respond(200, valid_answer(items)))
    try:
        app = make_app()
        enable_remote(app.settings, server.url)
        view = install_for_you(app.ctx)
        with qtbot.waitSignal(view.refreshed, timeout=20_000) as shown:
            app.show_view(view)
        outcome = shown.args[0]
        assert outcome.source == "both" and "blended" in view.source_label.text()
        rows = view.rows()
        assert rows[0].rec.track.id == ids[100] and rows[0].rec.source == "remote"
        assert "liked by similar listeners" in rows[0].reasons_label.text()
        discover = [r for r in rows if r.rec.track is None]
        assert len(discover) == 1 and not discover[0].buttons
        assert "Discover" in discover[0].title_label.text()
        assert "Elsewhere" in discover[0].title_label.text()
        body = server.requests[0].partition(b"\r\n\r\n")[2]
        assert json.loads(body)["user_id"] == app.settings.remote_user_id
    finally:
        server.stop()


def test_remote_is_off_by_default_and_nothing_is_sent(qtbot, make_app, store):
    make_discovery_library(store, history=False)
    app, _view, outcome = _open(qtbot, make_app)
    assert not app.settings.remote_enabled
    assert outcome.source == "local" and outcome.reason == "remote recommendations are off"
