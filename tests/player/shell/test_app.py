"""`run_app`: the data folder comes from --data-dir, else $TONEARM_HOME; quitting saves state."""

from __future__ import annotations

import json
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


def test_run_app_moves_an_older_install_to_the_xdg_folders(qapp, tmp_path: Path, monkeypatch):
    monkeypatch.delenv("TONEARM_HOME", raising=False)
    for name in ("data", "config", "cache"):
        monkeypatch.setenv(f"XDG_{name.upper()}_HOME", str(tmp_path / name))
    old = tmp_path / "data" / "tonearm"
    old.mkdir(parents=True)
    (old / "settings.json").write_text('{"library_folders": ["/nowhere"], "volume": 0.25}')
    (old / "window.ini").write_text("[library]\ncolumns=title,artist\n")
    seen: list = []
    _close_soon(seen)
    assert run_app(["--no-scan"]) == 0
    assert seen == [old]
    config = tmp_path / "config" / "tonearm"
    assert json.loads((config / "settings.json").read_text())["volume"] == 0.25
    assert "[window]" in (config / "window.ini").read_text()  # saved there on quitting
    assert sorted(p.name for p in old.iterdir() if not p.name.startswith("library.db")) == []


def test_closing_the_main_window_quits_with_another_window_still_open(
    qapp, tmp_path: Path, monkeypatch
):
    from PySide6.QtWidgets import QWidget

    monkeypatch.setenv("TONEARM_HOME", str(tmp_path / "home"))
    stray = QWidget()  # a tool window, dialog or sound map left open by the user
    stray.show()
    seen: list = []
    _close_soon(seen)
    try:
        assert run_app(["--no-scan"]) == 0  # returns: it used to wait for `stray` to close
    finally:
        stray.close()
    assert seen == [tmp_path / "home"]
