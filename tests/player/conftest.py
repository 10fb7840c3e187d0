"""GUI fixtures: a main window over a generated library, or a view's context without one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

pytest.importorskip("PySide6.QtMultimedia")


@pytest.fixture
def make_window(qtbot, data_dir: Path) -> Callable:
    """Open a MainWindow on `data_dir` (each call a new window, as after a restart); with
    `sound=False` its playback uses the null backend (time passes, nothing is heard)."""
    from player.playback.null_backend import null_player_and_output
    from player.shell.main_window import MainWindow
    from recommender.core.settings import Settings
    from recommender.library.store import open_store

    opened = []

    def make(*, wait_loaded: bool = True, analysis: bool = False, sound: bool = True):
        store = open_store(data_dir)
        settings = Settings.load(data_dir)
        settings.analysis_enabled = analysis  # the model run is tested on its own
        backend = None if sound else null_player_and_output
        window = MainWindow(data_dir, settings, store, media_backend=backend)
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


@pytest.fixture
def make_app(qtbot, data_dir: Path, store) -> Callable:
    """A `FakeApp` (tests/player/fake_context.py): a view's context with no main window; each
    call a new one on the same data folder, as after a restart."""
    from tests.player.fake_context import make_fake_app

    made = []

    def make(settings=None):
        app = make_fake_app(data_dir, store, settings)
        qtbot.addWidget(app.host)
        made.append(app)
        return app

    yield make
    for app in made:
        app.shutdown()


def close_window(window) -> None:
    """As on quit: records the play in progress and saves queue and settings."""
    window.close()
