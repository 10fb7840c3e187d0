"""Track context menus: built-in entries act on the selection; other features can add entries."""

from __future__ import annotations

from recommender.playlists.edit import create_playlist
from tests.library_factory import insert_library


def _actions(menu) -> dict:
    out = {}
    for action in menu.actions():
        if action.menu():
            out.update({f"{action.text()}/{k}": v for k, v in _actions(action.menu()).items()})
        elif action.text():
            out[action.text()] = action
    return out


def test_menu_entries_queue_tracks_and_providers_add_theirs(qtbot, make_window, store):
    insert_library(store, 40)
    window = make_window(sound=False)
    seen: list[list[int]] = []
    window.context.add_track_menu_provider(
        lambda menu, ids: menu.addAction("More like this", lambda: seen.append(ids))
    )
    ids = window.model.track_ids([0, 1])
    actions = _actions(window.library_menu([0, 1]))
    assert {"Play", "Play next", "Add to queue", "Properties…", "More like this"} <= set(actions)
    actions["Add to queue"].trigger()
    actions["More like this"].trigger()
    assert window.order.queue == ids and seen == [ids]
    _actions(window.library_menu([5]))["Play next"].trigger()
    assert window.order.queue == [window.model.track_id(5), *ids]


def test_add_to_playlist_appends_in_the_background(qtbot, make_window, store):
    insert_library(store, 40)
    pid = create_playlist(store, "Road trip")
    window = make_window(sound=False)
    ids = window.model.track_ids([2, 3, 4])
    action = _actions(window.library_menu([2, 3, 4]))["Add to playlist/Road trip"]
    action.trigger()
    qtbot.waitUntil(lambda: "added to the playlist" in window.statusBar().currentMessage())
    rows = store.conn.execute(
        "SELECT track_id FROM playlist_items WHERE playlist_id = ? ORDER BY position", (pid,)
    ).fetchall()
    assert [r[0] for r in rows] == ids


def test_properties_dialog_lists_tags_and_file_details(make_window, store):
    insert_library(store, 10)
    window = make_window(sound=False)
    dialog = window.show_properties(window.model.track_id(0))
    table = dialog.table
    fields = {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}
    assert {"Title", "Artist", "Album", "Path", "Length", "Size"} <= set(fields)
    dialog.close()
