"""The queue and settings survive a restart; a background scan keeps the window responsive."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

from PySide6.QtCore import QTimer

from recommender.core.settings import Settings
from tests.audio_factory import make_track
from tests.library_factory import insert_library


def test_queue_reorder_survives_restart(qtbot, make_window, store):
    insert_library(store, 50)
    window = make_window()
    window.add_to_queue([5, 6, 7, 8])
    window.queue_model.move_rows([2, 3], 0)  # 7, 8 to the top
    window.queue_model.remove([3])  # drops 6
    assert window.order.queue == [7, 8, 5]
    window.now_playing.shuffle_button.setChecked(True)
    window.now_playing.repeat_button.click()  # off -> all
    with qtbot.waitSignal(window.queueSaved, timeout=5000):
        pass
    window.shutdown()
    window.close()

    again = make_window()
    assert again.order.queue == [7, 8, 5]
    assert again.order.shuffle and again.order.repeat == "all"
    assert again.now_playing.shuffle_button.isChecked()
    assert again.queue_model.rowCount() == 3
    assert "–" in again.queue_model.index(0, 0).data()  # "artist – title" from the columns


def test_playing_queue_entry_and_position_are_restored(qtbot, make_window, store, music_dir):
    from tests.audio_factory import write_audio
    from tests.library_factory import insert_file

    path = write_audio(music_dir / "long.ogg", seconds=10.0)
    tid = insert_file(store, path, duration=10.0, title="Long")
    later = insert_file(store, write_audio(music_dir / "b.ogg", seconds=2.0), title="Later")
    window = make_window()
    window.play_now([tid, later])
    assert window.order.queue == [later]  # the playing track left the queue
    assert window.queue_model.rowCount() == 1
    qtbot.waitUntil(lambda: window.playback.position_ms() > 1500, timeout=10_000)
    window.close()

    again = make_window()
    assert again.order.queue == [later]  # played tracks do not come back after a restart
    assert again.playback.track is not None and again.playback.track.id == tid
    qtbot.waitUntil(lambda: again.playback.position_ms() >= 1000, timeout=5000)
    assert not again.playback.is_playing()
    again.next_track()
    assert again.playback.track.id == later and again.order.queue == []
    assert again.queue_model.rowCount() == 0


def test_a_queue_saved_with_played_entries_loads_only_what_is_to_come(store):
    from recommender.history.play_queue import QUEUE_INDEX_KEY, load_queue

    insert_library(store, 5)
    with store.transaction() as conn:  # the layout before played tracks left the queue
        conn.executemany(
            "INSERT INTO queue_items(position, track_id) VALUES (?, ?)",
            list(enumerate([1, 2, 3, 4])),
        )
    store.set_state(QUEUE_INDEX_KEY, "1")  # 1 and 2 had played
    assert load_queue(store).track_ids == [3, 4]


def test_queue_row_drag_moves_entries(make_window, store):
    insert_library(store, 20)
    window = make_window()
    window.add_to_queue([1, 2, 3])
    model = window.queue_model
    mime = model.mimeData([model.index(0, 0)])
    from PySide6.QtCore import QModelIndex, Qt

    assert model.dropMimeData(mime, Qt.DropAction.MoveAction, 3, 0, QModelIndex())
    assert window.order.queue == [2, 3, 1]


def test_settings_dialog_changes_persist(qtbot, make_window, data_dir, tmp_path):
    window = make_window()
    dialog = window.open_settings()
    dialog.folders.add_folder(str(tmp_path))
    dialog.rg_mode.setCurrentIndex(dialog.rg_mode.findData("album"))
    dialog.preamp.setValue(-3.5)
    dialog.analysis.setChecked(False)
    dialog.theme.setCurrentIndex(dialog.theme.findData("dark"))
    window.jobs.wait_for_done()
    dialog.accept()
    saved = Settings.load(data_dir)
    assert saved.library_folders == [str(tmp_path)]
    assert (saved.replaygain_mode, saved.replaygain_preamp_db) == ("album", -3.5)
    assert saved.analysis_enabled is False and saved.theme == "dark"
    with qtbot.waitSignal(window.events.scanFinished, timeout=20_000):
        pass  # a changed folder list rescans
    window.close()
    again = make_window()
    assert again.settings.replaygain_mode == "album"
    assert again.playback._rg_mode == "album"


def test_background_scan_keeps_the_event_loop_turning(
    qtbot, make_window, music_dir: Path, monkeypatch
):
    import recommender.library.tags

    real_read_tags = recommender.library.tags.read_tags

    def slow_read_tags(path, root=None):  # a slow disk: 20 ms a file, in the scan's thread
        time.sleep(0.02)
        return real_read_tags(path, root)

    monkeypatch.setattr(recommender.library.tags, "read_tags", slow_read_tags)
    for i in range(40):
        make_track(
            music_dir, f"Artist {i % 4}/Album/{i:02d} song.flac", seconds=0.3, freq=200 + i,
            title=f"Song {i}", artist=f"Artist {i % 4}", album="Album",
        )  # fmt: skip
    window = make_window()
    window.settings.library_folders = [str(music_dir)]
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    with qtbot.waitSignal(window.libraryLoaded, timeout=30_000):
        window.rescan()
        assert window.scan_box.isVisibleTo(window)
    timer.stop()
    assert window.model.rowCount() == 40
    assert not window.scan_box.isVisibleTo(window)
    assert "40 added" in window.statusBar().currentMessage()
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert len(ticks) >= 20  # 40 files at 20 ms: 0.8 s of scanning, a tick every 10 ms
    assert max(gaps) < 0.5, f"the event loop stalled for {max(gaps):.2f} s"


def test_new_file_in_a_watched_folder_is_picked_up(qtbot, make_window, music_dir: Path):
    make_track(music_dir, "Old/one.ogg", seconds=0.3, title="One", artist="Old")
    window = make_window()
    window.watch_timer.setInterval(50)  # the debounce, shortened for the test
    window.settings.library_folders = [str(music_dir)]
    with qtbot.waitSignal(window.libraryLoaded, timeout=20_000):
        window.rescan()
    qtbot.waitUntil(lambda: str(music_dir / "Old") in window.watcher.directories(), timeout=5000)
    with qtbot.waitSignal(window.libraryLoaded, timeout=20_000):
        make_track(music_dir, "Old/two.ogg", seconds=0.3, title="Two", artist="Old")
    assert window.model.rowCount() == 2


def test_space_toggles_play_and_ctrl_l_locates_the_playing_track(
    qtbot, make_window, store, music_dir
):
    from PySide6.QtCore import Qt

    from tests.audio_factory import write_audio
    from tests.library_factory import insert_file

    insert_library(store, 300)
    path = write_audio(music_dir / "zz.ogg", seconds=6.0)
    tid = insert_file(store, path, duration=6.0, title="Zebra", artist="Zz")
    window = make_window()
    window.play_list([tid], context="radio")
    qtbot.waitUntil(lambda: window.playback.position_ms() > 500, timeout=10_000)
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not window.playback.is_playing(), timeout=5000)
    window.search.setText("night")
    window.apply_search()
    qtbot.keyClick(window.table, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.search.text() == ""
    assert window.model.track_id(window.table.currentIndex().row()) == tid
    with qtbot.waitSignal(window.events.playsRecorded, timeout=5000) as rec:
        window.playback.stop()
    assert [p.context for p in rec.args[0].plays] == ["radio"]


def test_analysis_runs_after_a_scan_in_the_background(
    qtbot, make_window, music_dir: Path, monkeypatch
):
    import threading

    import recommender.sound.analyze
    from recommender.sound.analyze import AnalyzeSummary

    threads: list[str] = []

    def fake_embed(store, progress=None, cancel=None, **kw):
        threads.append(threading.current_thread().name)
        return AnalyzeSummary("test-model", embedded=3)

    monkeypatch.setattr(recommender.sound.analyze, "embed_tracks", fake_embed)
    make_track(music_dir, "a.ogg", seconds=0.3, title="A")
    window = make_window(analysis=True)
    window.settings.library_folders = [str(music_dir)]
    with qtbot.waitSignal(window.events.analysisFinished, timeout=20_000) as done:
        window.rescan()
    assert done.args[0].embedded == 3
    assert threads and threads[0] != threading.main_thread().name
    assert "3 tracks analysed" in window.statusBar().currentMessage()


def test_missing_model_is_reported_once_and_playing_goes_on(
    qtbot, make_window, music_dir: Path, monkeypatch
):
    import recommender.sound.analyze
    from player.workers.events import JobFailed
    from recommender.core.errors import ModelError

    def no_model(store, progress=None, cancel=None, **kw):
        raise ModelError("the sound model file is missing")

    monkeypatch.setattr(recommender.sound.analyze, "embed_tracks", no_model)
    window = make_window(analysis=True)
    with qtbot.waitSignal(window.events.analysisFinished, timeout=10_000) as done:
        window.start_analysis()
    assert isinstance(done.args[0], JobFailed) and "missing" in done.args[0].message
    assert "unavailable" in window.statusBar().currentMessage()
    window.start_analysis()  # not retried in this session
    assert window._analysis_job is None
