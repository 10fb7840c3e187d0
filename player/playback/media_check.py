"""The self-test's Qt step: QtMultimedia imports and a QMediaPlayer decodes a generated file.

A bundle can pass every core step yet lack Qt's FFmpeg plugin or the offscreen platform; this
plays a file the way the app does, with no screen and no sound card needed.
"""

from __future__ import annotations

import os
import sys
import time

from recommender.app.self_test import SelfTestState, SkipStep, Step

LOAD_TIMEOUT_S = 10.0
QUIET_RULES = "qt.multimedia.symbolsresolver=false;qt.multimedia.ffmpeg=false"
PLAY_MS = 300  # the position must advance this far to count as playing


def check_playback(state: SelfTestState) -> str:
    """Load and play the first generated file offscreen; the detail names the Qt version."""
    if not os.environ.get("QT_QPA_PLATFORM"):  # headless by design, even where a display is
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    if not state.verbose:  # Qt lists every optional library it lacks (PipeWire, VA-API)
        os.environ.setdefault("QT_LOGGING_RULES", QUIET_RULES)
    try:
        from PySide6 import __version__ as pyside_version
        from PySide6.QtCore import QEventLoop, QTimer, QUrl
        from PySide6.QtGui import QGuiApplication
        from PySide6.QtMultimedia import QMediaPlayer
    except ImportError as exc:
        raise SkipStep(f"Qt is not available: {exc}") from exc
    if not state.files:
        raise SkipStep("no generated files")
    path = state.files[0]
    app = QGuiApplication.instance() or QGuiApplication(["tonearm-self-test"])
    from player.playback.media_objects import is_python_subclass, make_player_and_output

    player, output = make_player_and_output(app)
    made_by = "plain (QtQml missing)" if is_python_subclass(player) else "QML-made"
    if made_by.startswith("plain") and getattr(sys, "frozen", False):
        raise RuntimeError(
            "the bundle lacks the QtMultimedia QML module (player/playback/media_objects.py)"
        )
    output.setVolume(0.0)
    errors: list[str] = []
    loop = QEventLoop()
    timeout = QTimer(singleShot=True, interval=int(LOAD_TIMEOUT_S * 1000))
    timeout.timeout.connect(loop.quit)
    status = QMediaPlayer.MediaStatus

    def on_status(st: QMediaPlayer.MediaStatus) -> None:
        if st in (status.LoadedMedia, status.InvalidMedia, status.EndOfMedia):
            loop.quit()

    def on_position(ms: int) -> None:
        if ms >= PLAY_MS:
            loop.quit()

    player.mediaStatusChanged.connect(on_status)
    player.errorOccurred.connect(lambda _err, msg: (errors.append(msg), loop.quit()))
    started = time.perf_counter()
    player.setSource(QUrl.fromLocalFile(str(path)))
    if player.mediaStatus() != status.LoadedMedia:
        timeout.start()
        loop.exec()
    if errors or player.mediaStatus() != status.LoadedMedia:
        raise RuntimeError(f"{path.name}: {errors or player.mediaStatus().name}")
    duration_ms = player.duration()
    player.positionChanged.connect(on_position)
    timeout.start()
    player.play()
    loop.exec()
    timeout.stop()
    position_ms = player.position()
    player.stop()
    app.processEvents()
    if errors or (position_ms < PLAY_MS and player.mediaStatus() != status.EndOfMedia):
        raise RuntimeError(f"{path.name} did not play: {errors or f'at {position_ms} ms'}")
    return (
        f"{path.suffix} loaded ({duration_ms / 1000:.1f} s) and played to {position_ms} ms "
        f"in {time.perf_counter() - started:.2f} s; PySide6 {pyside_version}, "
        f"{QGuiApplication.platformName()}, {made_by} player"
    )


PLAYBACK_STEP = Step("qt-playback", check_playback)
