"""Track menu discovery: More like this (side panel), Start radio (endless, heeds skips, plays
recorded as radio) and Make playlist from this (preview, then save)."""

from __future__ import annotations

import shutil

import numpy as np
from PySide6.QtCore import QItemSelectionModel

from player.discovery.flow_playlist_dialog import FlowPlaylistDialog
from player.discovery.track_discovery import install_track_discovery
from tests.audio_factory import write_audio
from tests.library_factory import insert_file
from tests.player.discovery_library import add_album_embeddings, make_discovery_library
from tests.player.widgets.test_track_menu import _actions


def _window(make_window):
    window = make_window()
    return window, install_track_discovery(window.context)


def test_more_like_this_lists_sound_neighbours_in_a_playable_panel(qtbot, make_window, store):
    ids = make_discovery_library(store)
    window, discovery = _window(make_window)
    seed = ids[30]
    row = window.model.row_of_track(seed)
    actions = _actions(window.library_menu([row]))
    assert {"More like this", "Start radio", "Make playlist from this…"} <= set(actions)
    panel = discovery.similar_panel
    with qtbot.waitSignal(panel.shown, timeout=10_000) as shown:
        actions["More like this"].trigger()
    assert panel.isVisible()
    result = shown.args[0]
    neighbours = panel.track_ids()
    assert len(neighbours) >= 10 and seed not in neighbours
    album_mates = set(ids[24:36])  # insert_library: 12 tracks an album
    assert len(album_mates & set(neighbours[:5])) >= 3  # nearest by sound: its own album
    assert "Sounds like" in panel.seed_label.text() and not result.note
    # the Closeness column is calibrated: album mates read as closer than the last rows
    shown_text = [panel.list.topLevelItem(i).text(1) for i in range(len(neighbours))]
    assert all(text.startswith("top ") for text in shown_text)
    first, last = result.neighbours[0][1], result.neighbours[-1][1]
    assert first.percentile > last.percentile and shown_text[0] != shown_text[-1]
    panel.play_row(2)
    assert window.list_context == "similar"
    assert window.order.current().track_id == neighbours[2]


def test_more_like_this_explains_when_there_are_no_embeddings(qtbot, make_window, store):
    ids = make_discovery_library(store, embeddings=False)
    _win, discovery = _window(make_window)
    panel = discovery.similar_panel
    with qtbot.waitSignal(panel.shown, timeout=10_000):
        panel.show_for(ids[0])
    assert panel.track_ids() == []
    assert panel.note.isVisibleTo(panel) and "not available yet" in panel.note.text()


def _radio_library(store, music_dir) -> list[int]:
    """16 playable tracks by 4 artists (copies of one tone), with album-wise embeddings."""
    source = write_audio(music_dir / "tone.ogg", seconds=8.0)
    ids = []
    for i in range(16):
        path = music_dir / f"t{i:02d}.ogg"
        shutil.copy(source, path)
        artist = f"Artist {i % 4}"
        ids.append(
            insert_file(store, path, title=f"Song {i}", artist=artist, album=f"{artist} LP",
                        duration=8.0, genre="Jazz")
        )  # fmt: skip
    add_album_embeddings(store, ids)
    return ids


def test_radio_refills_before_it_runs_dry_heeds_skips_and_records_radio_plays(
    qtbot, make_window, store, music_dir
):
    ids = _radio_library(store, music_dir)
    window, discovery = _window(make_window)
    radio = discovery.radio
    radio.batch, radio.low_water = 3, 2
    with qtbot.waitSignal(radio.started, timeout=10_000):
        _actions(window.library_menu([window.model.row_of_track(ids[5])]))["Start radio"].trigger()
    assert window.list_context == "radio" and radio.active
    assert window.order.current().track_id == ids[5]
    assert len(window.order.library) == 1 + 3
    qtbot.waitUntil(lambda: window.playback.position_ms() > 300, timeout=10_000)

    recorded = []
    window.events.playsRecorded.connect(lambda change: recorded.extend(change.plays))
    for _ in range(5):  # skip through more than the first batch
        before = window.playback.track.id
        with qtbot.waitSignal(radio.refilled, timeout=10_000):
            window.next_track()
        qtbot.waitUntil(lambda b=before: window.playback.track.id != b, timeout=5000)
        qtbot.waitUntil(lambda: window.playback.position_ms() > 300, timeout=10_000)
        skipped = recorded[-1].track_id
        upcoming = window.order.library[window.order.library_index + 1 :].tolist()
        assert skipped not in upcoming  # re-picked after the skip
        assert window.order.upcoming_library() >= radio.low_water
    assert len(window.order.library) > 1 + 3  # refilled: it went on past the first batch
    assert [p.context for p in recorded] == ["radio"] * 5 and all(p.skipped for p in recorded)
    contexts = {r[0] for r in store.conn.execute("SELECT context FROM plays")}
    assert contexts == {"radio"}
    assert np.isin(window.order.library, ids).all()


def test_make_playlist_previews_a_flow_and_saves_it(qtbot, make_window, store):
    ids = make_discovery_library(store)
    window, _discovery = _window(make_window)
    seed = ids[40]
    action = _actions(window.library_menu([window.model.row_of_track(seed)]))
    action["Make playlist from this…"].trigger()
    dialog = window.findChild(FlowPlaylistDialog)
    qtbot.waitUntil(lambda: bool(dialog.tracks), timeout=10_000)
    assert seed in [t.id for t in dialog.tracks]
    # 10 artists at most 2 each (a tenth of 25): the dialog says why there are fewer
    assert dialog.preview_list.count() == len(dialog.tracks) == 20
    assert "20 tracks" in dialog.summary.text() and "fewer" in dialog.summary.text()
    with qtbot.waitSignal(dialog.previewed, timeout=10_000) as shown:
        dialog.length.setValue(12)
    preview = shown.args[0]
    assert len(preview) == 12 and dialog.preview_list.count() == 12
    dialog.name.setText("Evening flow")
    with qtbot.waitSignal(dialog.saved, timeout=10_000) as saved:
        dialog.save_button.click()
    rows = store.conn.execute(
        "SELECT track_id FROM playlist_items WHERE playlist_id = ? ORDER BY position",
        (saved.args[0],),
    ).fetchall()
    assert [r[0] for r in rows] == preview
    name = store.conn.execute("SELECT name FROM playlists WHERE id = ?", (saved.args[0],))
    assert name.fetchone()[0] == "Evening flow"


def test_radio_shows_its_next_tracks_under_the_queue_and_a_removal_is_a_skip(
    qtbot, make_window, store, music_dir
):
    ids = _radio_library(store, music_dir)
    window, discovery = _window(make_window)
    radio = discovery.radio
    window.add_to_queue([ids[5]])  # the seed waits in the queue (the old first Next replayed it)
    with qtbot.waitSignal(radio.started, timeout=10_000):
        _actions(window.library_menu([window.model.row_of_track(ids[5])]))["Start radio"].trigger()
    assert window.order.queue == []  # it plays now, so it is no longer to come
    panel = window.queue_panel
    assert panel.model.rowCount() == 0
    ahead = panel.ahead_model.track_ids()
    assert len(ahead) >= 3 and ids[5] not in ahead
    assert panel.ahead_list.isVisibleTo(panel) and "Radio from" in panel.ahead_title.text()
    assert "Artist 1 – Song 5" in panel.ahead_title.text()

    removed = ahead[1]
    panel.ahead_list.selectionModel().select(
        panel.ahead_model.index(1, 0), QItemSelectionModel.SelectionFlag.Select
    )
    with qtbot.waitSignal(radio.refilled, timeout=10_000):
        panel.remove_selected_ahead()
    assert removed not in panel.ahead_model.track_ids()
    skips = store.conn.execute(
        "SELECT track_id, skipped, context FROM plays WHERE track_id = ?", (removed,)
    ).fetchall()
    assert skips == [(removed, 1, "radio")]  # recorded as a skip: the taste model learns
    next_up = panel.ahead_model.track_ids()[0]
    window.next_track()
    assert window.playback.track.id == next_up != ids[5]
