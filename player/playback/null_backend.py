"""A media backend that plays nothing: time passes, no sound is made (Quod Libet's nullbe).

`Playback(backend=null_player_and_output)` drives these in place of QMediaPlayer and
QAudioOutput, for tests (and a future headless mode) that need what playback decides (what
plays next, what gets recorded, what is unplayable) but not the sound: no audio device, no
FFmpeg threads. A file's length is read from its header with mutagen; one that is missing or
unreadable fails as Qt would, with an error and `InvalidMedia`. The position follows the wall
clock while playing; at the end the player reports `EndOfMedia`.
"""

from __future__ import annotations

import os
import time

from PySide6.QtCore import QObject, QTimer, QUrl, Signal
from PySide6.QtMultimedia import QMediaPlayer

TICK_MS = 50
"""How often the position is reported while playing (Qt's FFmpeg backend: about as often)."""

State = QMediaPlayer.PlaybackState
Status = QMediaPlayer.MediaStatus


class NullAudioOutput(QObject):
    """Keeps the volume it is given."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._volume = 1.0

    def volume(self) -> float:
        return self._volume

    def setVolume(self, volume: float) -> None:  # QAudioOutput's names, camelCase
        self._volume = float(volume)


def media_length_ms(path: str) -> tuple[int, str]:
    """(length in ms, "") for a readable audio file, else (0, why it cannot be played)."""
    if not os.path.isfile(path):
        return 0, "file not found"
    import mutagen

    try:
        audio = mutagen.File(path)
    except Exception as exc:  # mutagen raises many kinds for a broken header
        return 0, f"cannot be decoded ({type(exc).__name__})"
    length = getattr(getattr(audio, "info", None), "length", 0) or 0
    if audio is None or length <= 0:
        return 0, "cannot be decoded"
    return int(length * 1000), ""


class NullMediaPlayer(QObject):
    """The part of QMediaPlayer's interface that `decks.Playback` uses."""

    positionChanged = Signal(int)
    mediaStatusChanged = Signal(object)  # QMediaPlayer.MediaStatus
    errorOccurred = Signal(object, str)  # QMediaPlayer.Error, message
    playbackStateChanged = Signal(object)  # QMediaPlayer.PlaybackState

    def __init__(self, output: NullAudioOutput, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._output = output
        self._source = QUrl()
        self._state = State.StoppedState
        self._status = Status.NoMedia
        self._error = ""
        self._duration_ms = 0
        self._position_ms = 0
        self._since: float | None = None  # monotonic time the position was last brought up
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)

    # --- QMediaPlayer's interface ---------------------------------------------------------
    def audioOutput(self) -> NullAudioOutput:
        return self._output

    def source(self) -> QUrl:
        return self._source

    def setSource(self, url: QUrl) -> None:
        self._halt()
        self._source = QUrl(url)
        self._position_ms = 0
        self._duration_ms = 0
        self._error = ""
        if url.isEmpty():
            self._set_status(Status.NoMedia)
            return
        length_ms, problem = media_length_ms(url.toLocalFile())
        if problem:
            self._error = problem
            self._set_status(Status.InvalidMedia)
            self.errorOccurred.emit(QMediaPlayer.Error.ResourceError, problem)
            return
        self._duration_ms = length_ms
        self._set_status(Status.LoadedMedia)

    def play(self) -> None:
        if self._status in (Status.NoMedia, Status.InvalidMedia):
            return
        if self._status == Status.EndOfMedia:
            self._position_ms = 0
        self._since = time.monotonic()
        self._timer.start()
        self._set_state(State.PlayingState)
        self._set_status(Status.BufferedMedia)

    def pause(self) -> None:
        if self._status in (Status.NoMedia, Status.InvalidMedia):
            return
        self._halt()
        self._set_state(State.PausedState)

    def stop(self) -> None:
        self._halt()
        if self._position_ms:
            self._position_ms = 0
            self.positionChanged.emit(0)
        self._set_state(State.StoppedState)

    def position(self) -> int:
        self._catch_up()
        return self._position_ms

    def setPosition(self, position_ms: int) -> None:
        self._position_ms = max(0, min(int(position_ms), self._duration_ms))
        if self._since is not None:
            self._since = time.monotonic()
        self.positionChanged.emit(self._position_ms)

    def duration(self) -> int:
        return self._duration_ms

    def playbackState(self) -> QMediaPlayer.PlaybackState:
        return self._state

    def mediaStatus(self) -> QMediaPlayer.MediaStatus:
        return self._status

    def errorString(self) -> str:
        return self._error

    # --- the clock --------------------------------------------------------------------------
    def _catch_up(self) -> None:
        if self._since is None:
            return
        now = time.monotonic()
        self._position_ms = min(
            self._duration_ms, self._position_ms + int((now - self._since) * 1000)
        )
        self._since = now

    def _tick(self) -> None:
        self._catch_up()
        self.positionChanged.emit(self._position_ms)
        if self._position_ms >= self._duration_ms:
            self._halt()
            self._set_state(State.StoppedState)
            self._set_status(Status.EndOfMedia)

    def _halt(self) -> None:
        self._catch_up()
        self._since = None
        self._timer.stop()

    def _set_state(self, state: QMediaPlayer.PlaybackState) -> None:
        if state != self._state:
            self._state = state
            self.playbackStateChanged.emit(state)

    def _set_status(self, status: QMediaPlayer.MediaStatus) -> None:
        if status != self._status:
            self._status = status
            self.mediaStatusChanged.emit(status)


def null_player_and_output(parent: QObject) -> tuple[NullMediaPlayer, NullAudioOutput]:
    """The null backend's pair, in the shape of `media_objects.make_player_and_output`."""
    output = NullAudioOutput(parent)
    return NullMediaPlayer(output, parent), output
