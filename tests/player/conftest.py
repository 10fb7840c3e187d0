"""GUI fixtures: a main window over a generated library, shut down cleanly after each test."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

pytest.importorskip("PySide6.QtMultimedia")


@pytest.fixture
def make_window(qtbot, data_dir: Path) -> Callable:
    """Open a MainWindow on `data_dir` (each call a new window, as after a restart)."""
    from player.shell.main_window import MainWindow
    from recommender.core.settings import Settings
    from recommender.library.store import open_store

    opened = []

    def make(*, wait_loaded: bool = True, analysis: bool = False):
        store = open_store(data_dir)
        settings = Settings.load(data_dir)
        settings.analysis_enabled = analysis  # the model run is tested on its own
        window = MainWindow(data_dir, settings, store)
        qtbot.addWidget(window)
        opened.append((window, store))
        with qtbot.waitSignal(window.libraryLoaded, timeout=10_000, raising=wait_loaded):
            window.show()
            window.start(first_run_dialog=False, startup_scan=False)
        return window

    yield make
    for window, store in opened:
        window.shutdown()
        window.close()
        store.close()


def close_window(window) -> None:
    """As on quit: records the play in progress and saves queue and settings."""
    window.close()
