"""`run_app`: the data folder comes from --data-dir, else $TONEARM_HOME; quitting saves state."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from player.shell.app import run_app
from player.shell.main_window import MainWindow


def _close_soon(seen: list) -> None:
    def close() -> None:
        windows = [
            w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()
        ]
        if not windows:
            QTimer.singleShot(20, close)
            return
        seen.extend(w.data_dir for w in windows)
        for w in windows:
            w.close()

    QTimer.singleShot(50, close)


def test_run_app_uses_tonearm_home(qapp, tmp_path: Path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("TONEARM_HOME", str(home))
    seen: list = []
    _close_soon(seen)
    assert run_app(["--no-scan"]) == 0
    assert seen == [home]
    assert (home / "library.db").exists() and (home / "settings.json").exists()


def test_run_app_data_dir_option_wins(qapp, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("TONEARM_HOME", str(tmp_path / "home"))
    seen: list = []
    _close_soon(seen)
    assert run_app(["--data-dir", str(tmp_path / "other"), "--no-scan"]) == 0
    assert seen == [tmp_path / "other"]
