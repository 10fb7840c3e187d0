"""The window shows a damaged database or a full disk as a sentence in the status bar."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from recommender.core.settings import SETTINGS_FILE, Settings
from recommender.library.store import DB_FILE, open_store
from tests.library_factory import damage_middle_pages, insert_library


def test_a_damaged_library_is_a_sentence_in_the_status_bar(
    qtbot, make_window, data_dir: Path, monkeypatch
):
    from player.shell.main_window import MainWindow

    with open_store(data_dir) as store:
        insert_library(store, 600, plays=200)
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    damage_middle_pages(data_dir / DB_FILE)
    shown: list[str] = []
    original = MainWindow.show_message

    def record(self, text: str, *args) -> None:
        shown.append(text)
        original(self, text, *args)

    monkeypatch.setattr(MainWindow, "show_message", record)
    window = make_window(wait_loaded=False)
    qtbot.waitUntil(lambda: window.count_label.text() == "Library not loaded", timeout=10_000)
    assert any("is damaged" in text and "has not changed it" in text for text in shown), shown
    assert not any("DatabaseError" in text for text in shown), shown


def test_settings_that_cannot_be_saved_are_a_sentence_and_the_old_file_stays(
    qtbot, make_window, data_dir: Path, monkeypatch
):
    Settings(library_folders=["/music"], theme="dark").save(data_dir)
    before = (data_dir / SETTINGS_FILE).read_bytes()
    window = make_window()

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("recommender.core.settings.os.fsync", disk_full)
    dialog = window.open_settings()
    dialog.accept()
    message = window.statusBar().currentMessage()
    assert "No space left on device" in message and "was not changed" in message
    assert (data_dir / SETTINGS_FILE).read_bytes() == before
    assert [p.name for p in data_dir.iterdir() if p.name.startswith(".settings-")] == []
