"""The Playlists tab: edits persist, drags reorder, files round-trip, smart ones follow plays.

The view gets a fake context (no main window), except where a track menu of the library table
adds to a playlist."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QModelIndex, Qt

from player.playlists.playlists_view import install_playlists
from recommender.history.plays import record_play
from recommender.playlists.saved import playlist_track_ids, save_playlist
from recommender.playlists.smart import SmartRule
from tests.library_factory import insert_library


def _open(qtbot, make_app):
    app = make_app()
    view = install_playlists(app.ctx)
    app.show_view(view)
    _wait_shown(qtbot, view)
    return app, view


def _wait_shown(qtbot, view) -> None:
    qtbot.waitUntil(
        lambda: view.contents is not None or (view.lists.count() == 0 and view.playlists == [])
    )


def _first_ids(store, n: int) -> list[int]:
    return [r[0] for r in store.conn.execute("SELECT id FROM tracks ORDER BY id LIMIT ?", (n,))]


def _names(view) -> list[str]:
    return [view.lists.item(i).text() for i in range(view.lists.count())]


def _current_name(view) -> str | None:
    info = view.current_info()
    return info.name if info is not None else None


def _shown(view) -> list[int]:
    return view.model.track_ids()


def test_created_renamed_and_deleted_playlists_persist_after_reopening(qtbot, make_app, store):
    insert_library(store, 40)
    _app, view = _open(qtbot, make_app)
    ids = _first_ids(store, 3)
    view.new_playlist("Road trip", ids)
    qtbot.waitUntil(lambda: _names(view) == ["Road trip"] and _shown(view) == ids)
    view.new_playlist("Temporary")
    qtbot.waitUntil(lambda: _current_name(view) == "Temporary")
    view.rename_current("Soon gone")
    qtbot.waitUntil(lambda: "Soon gone" in _names(view))
    view.new_playlist("Evening")
    qtbot.waitUntil(lambda: "Evening" in _names(view))
    view.lists.setCurrentRow(_names(view).index("Soon gone"))
    view.delete_current(confirm=False)
    qtbot.waitUntil(lambda: _names(view) == ["Evening", "Road trip"])

    _app2, again = _open(qtbot, make_app)
    qtbot.waitUntil(lambda: _names(again) == ["Evening", "Road trip"])
    again.lists.setCurrentRow(1)
    qtbot.waitUntil(lambda: _shown(again) == ids)


def test_drag_reorder_and_delete_key_persist(qtbot, make_app, store):
    insert_library(store, 20)
    ids = [3, 7, 1, 9, 4]
    pid = save_playlist(store, "Mix", ids)
    _app, view = _open(qtbot, make_app)
    qtbot.waitUntil(lambda: _shown(view) == ids)
    model = view.model
    mime = model.mimeData([model.index(3, 0)])  # what a drag of the 4th row carries
    assert model.dropMimeData(mime, Qt.DropAction.MoveAction, 0, 0, QModelIndex())
    assert _shown(view) == [9, 3, 7, 1, 4]  # shown at once
    qtbot.waitUntil(lambda: playlist_track_ids(store, pid) == [9, 3, 7, 1, 4])

    view.tracks.setFocus()
    selection = view.tracks.selectionModel()
    selection.clearSelection()
    for row in (1, 2):
        selection.select(model.index(row, 0), selection.SelectionFlag.Select)
    qtbot.keyClick(view.tracks, Qt.Key.Key_Delete)
    qtbot.waitUntil(
        lambda: playlist_track_ids(store, pid) == [9, 1, 4] and _shown(view) == [9, 1, 4]
    )

    _app2, again = _open(qtbot, make_app)
    qtbot.waitUntil(lambda: _shown(again) == [9, 1, 4])


@pytest.mark.parametrize("suffix", [".m3u8", ".xspf"])
def test_export_then_import_round_trips(qtbot, make_app, store, tmp_path, suffix):
    insert_library(store, 30)
    ids = [12, 5, 27, 1]
    save_playlist(store, "Late night", ids)
    app, view = _open(qtbot, make_app)
    qtbot.waitUntil(lambda: _shown(view) == ids)
    out = tmp_path / f"late{suffix}"
    view.export_current(out)
    qtbot.waitUntil(lambda: out.exists() and "Exported 4" in app.last_message)
    view.import_file(out)  # named as the file says, beside the one it came from
    qtbot.waitUntil(lambda: "Late night (2)" in _names(view))
    qtbot.waitUntil(lambda: _current_name(view) == "Late night (2)" and _shown(view) == ids)


def test_smart_playlist_updates_after_a_new_play(qtbot, make_app, store):
    insert_library(store, 120)
    jazz = [
        r[0] for r in store.conn.execute("SELECT id FROM tracks WHERE genre = 'Jazz' ORDER BY id")
    ]
    assert len(jazz) > 3
    app, view = _open(qtbot, make_app)
    view.new_smart_playlist("Jazz I play", SmartRule("genre:jazz", "most_played", 3))
    qtbot.waitUntil(lambda: view.contents is not None and view.contents.info.name == "Jazz I play")
    assert len(_shown(view)) == 3 and jazz[-1] not in _shown(view)
    assert "genre:jazz" in view.detail.text()
    assert not view.model.flags(view.model.index(0, 0)) & Qt.ItemFlag.ItemIsDropEnabled

    play = record_play(
        store, jazz[-1], 200.0, started_at=time.time() - 200, duration=200.0, completed=True
    )  # as the window's writer does at the end of a track; then it is announced
    app.ctx.events.play_recorded(play)
    qtbot.waitUntil(lambda: _shown(view)[:1] == [jazz[-1]], timeout=5000)


def test_double_click_plays_the_playlist_from_that_track(qtbot, make_app, store):
    insert_library(store, 20)
    pid = save_playlist(store, "Mix", [4, 8, 15])
    app, view = _open(qtbot, make_app)
    qtbot.waitUntil(lambda: _shown(view) == [4, 8, 15])
    rect = view.tracks.visualRect(view.model.index(1, 0))
    qtbot.mouseClick(view.tracks.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(view.tracks.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    calls = [(p.track_ids, p.index, p.context) for p in app.played]
    assert calls == [([4, 8, 15], 1, f"playlist:{pid}")]


def test_tracks_added_from_a_track_menu_show_up(qtbot, make_window, store):
    from tests.player.widgets.test_track_menu import _actions

    insert_library(store, 20)
    pid = save_playlist(store, "Road trip", [2])
    window = make_window()  # the library table's track menu is the window's
    view = install_playlists(window.context)
    window.show_view(view)
    _wait_shown(qtbot, view)
    qtbot.waitUntil(lambda: _shown(view) == [2])
    added = window.model.track_ids([5, 6])
    _actions(window.library_menu([5, 6]))["Add to playlist/Road trip"].trigger()
    qtbot.waitUntil(lambda: _shown(view) == [2, *added])
    assert playlist_track_ids(store, pid) == [2, *added]


def test_smart_playlist_dialog_only_accepts_a_valid_rule(qtbot):
    from PySide6.QtWidgets import QDialogButtonBox

    from player.playlists.smart_playlist_dialog import SmartPlaylistDialog

    dialog = SmartPlaylistDialog()
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    dialog.name.setText("Old jazz")
    dialog.query.setText("genre:jazz year:19x0")
    assert not ok.isEnabled() and "year" in dialog.problem.text()
    dialog.query.setText("genre:jazz year:1950..1965")
    dialog.sort.setCurrentIndex(dialog.sort.findData("recently_played"))
    dialog.limit.setValue(0)
    assert ok.isEnabled()
    assert dialog.rule() == SmartRule("genre:jazz year:1950..1965", "recently_played", None)
