"""Playback with QtMultimedia: two decks so the next track is loaded before this one ends.

The controller knows nothing of queues: the window gives it a `next_track` callback that decides
what follows (and moves there), and a `peek_next` callback to pre-load it. Every play that ends
or is interrupted is reported once through `playFinished` with the seconds actually heard.
The decks are QMediaPlayers by default; `backend=null_player_and_output` (`null_backend`) plays
nothing, for tests that need the decisions but not the sound.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtMultimedia import QAudio, QMediaPlayer

from player.playback.media_objects import make_player_and_output
from recommender.library.replaygain import replaygain_factor
from recommender.library.tracks import Track

log = logging.getLogger(__name__)

MediaBackend = Callable[[QObject], tuple[Any, Any]]
"""Makes a (player, audio output) pair parented to the given object."""
PRELOAD_BEFORE_END_MS = 8000
"""Load the next track this long before the current one ends."""
MAX_POSITION_STEP_MS = 1500
"""A larger jump in position is a seek, not listening, and is not counted as played."""
MAX_CONSECUTIVE_FAILURES = 8
"""Stop moving on after this many unplayable tracks in a row (a dead drive, a wrong folder)."""


@dataclass
class FinishedPlay:
    """A play that ended: what `recommender.history.plays.record_play` needs."""

    track_id: int
    seconds_played: float
    duration: float | None
    completed: bool
    context: str
    started_at: float


@dataclass
class _Session:
    track: Track
    context: str
    started_at: float
    played_ms: float = 0.0
    last_pos_ms: int = 0


class _Deck:
    """One QMediaPlayer with its own audio output."""

    def __init__(self, parent: QObject, backend: MediaBackend) -> None:
        self.player, self.output = backend(parent)
        self.track: Track | None = None
        self.failed: str | None = None

    def load(self, track: Track) -> None:
        self.track = track
        self.failed = None
        self.player.setSource(QUrl.fromLocalFile(track.path))

    def unload(self) -> None:
        self.track = None
        self.failed = None
        self.player.stop()
        self.player.setSource(QUrl())


class Playback(QObject):
    trackChanged = Signal(object)  # Track | None
    positionChanged = Signal(int, int)  # position ms, duration ms
    stateChanged = Signal(str)  # "playing", "paused", "stopped"
    playFinished = Signal(object)  # FinishedPlay
    unplayable = Signal(object, str)  # Track, message
    gapMeasured = Signal(float)  # ms from end of one track to sound from the next

    def __init__(
        self, parent: QObject | None = None, *, backend: MediaBackend = make_player_and_output
    ) -> None:
        super().__init__(parent)
        self._decks = [_Deck(self, backend), _Deck(self, backend)]
        self._active = 0
        self._session: _Session | None = None
        self._volume = 0.8
        self._rg_mode = "track"
        self._rg_preamp_db = 0.0
        self._failures = 0
        self._ended_at: float | None = None
        self._pending_seek_ms = 0
        self.last_gap_ms: float | None = None
        self.next_track: Callable[[], tuple[Track, str] | None] = lambda: None
        self.peek_next: Callable[[], Track | None] = lambda: None
        for index, deck in enumerate(self._decks):
            deck.player.positionChanged.connect(lambda pos, i=index: self._on_position(i, pos))
            deck.player.mediaStatusChanged.connect(lambda st, i=index: self._on_status(i, st))
            deck.player.errorOccurred.connect(lambda err, msg, i=index: self._on_error(i, msg))
            deck.player.playbackStateChanged.connect(lambda st, i=index: self._on_state(i, st))

    # --- public controls ----------------------------------------------------------------
    @property
    def track(self) -> Track | None:
        return self._session.track if self._session else None

    @property
    def deck(self) -> _Deck:
        return self._decks[self._active]

    def is_playing(self) -> bool:
        return self.deck.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState

    def position_ms(self) -> int:
        return self.deck.player.position() if self._session else 0

    def play_track(
        self, track: Track, context: str, *, start_ms: int = 0, paused: bool = False
    ) -> None:
        """Play (or, with paused, just load) a track; the current play is recorded first."""
        self._finish_session(completed=False)
        self._failures = 0 if not paused else self._failures
        self._start(track, context, start_ms=start_ms, paused=paused)

    def toggle(self) -> None:
        if self._session is None:
            choice = self.next_track()
            if choice is not None:
                self.play_track(*choice)
            return
        if self.is_playing():
            self.deck.player.pause()
        else:
            self.deck.player.play()

    def stop(self) -> None:
        """Stop and record the play; the track stays shown but unloaded."""
        self._finish_session(completed=False)
        for deck in self._decks:
            deck.unload()
        self.trackChanged.emit(None)
        self.stateChanged.emit("stopped")

    def skip(self) -> None:
        """The user asked for the next track (not repeat-one)."""
        choice = self.next_track()
        if choice is None:
            self.stop()
        else:
            self._finish_session(completed=False)
            self._start(*choice)

    def seek(self, position_ms: int) -> None:
        if self._session is not None:
            self._session.last_pos_ms = position_ms  # a seek is not listening time
            self.deck.player.setPosition(position_ms)

    def set_volume(self, volume: float) -> None:
        """Volume from 0 to 1 on a perceptual (logarithmic) scale, as the slider shows it."""
        self._volume = max(0.0, min(1.0, volume))
        self._apply_volume()

    def set_replaygain(self, mode: str, preamp_db: float) -> None:
        self._rg_mode, self._rg_preamp_db = mode, preamp_db
        self._apply_volume()

    def output_volume(self) -> float:
        return self.deck.output.volume()

    def shutdown(self) -> None:
        """Record the play in progress (app closing)."""
        self._finish_session(completed=False)
        for deck in self._decks:
            deck.player.stop()

    # --- internals ----------------------------------------------------------------------
    def _gain(self, track: Track | None) -> float:
        if track is None:
            return 1.0
        return replaygain_factor(
            self._rg_mode,
            self._rg_preamp_db,
            track.rg_track_gain,
            track.rg_album_gain,
            track.rg_track_peak,
            track.rg_album_peak,
        )

    def _apply_volume(self) -> None:
        linear = QAudio.convertVolume(
            self._volume,
            QAudio.VolumeScale.LogarithmicVolumeScale,
            QAudio.VolumeScale.LinearVolumeScale,
        )
        for deck in self._decks:
            deck.output.setVolume(min(1.0, linear * self._gain(deck.track)))

    def _start(
        self, track: Track, context: str, *, start_ms: int = 0, paused: bool = False
    ) -> None:
        other = self._decks[1 - self._active]
        preloaded = other.track is not None and other.track.id == track.id and other.failed is None
        self.deck.player.stop()
        if preloaded:
            self.deck.track = None
            self._active = 1 - self._active
        else:
            self.deck.load(track)
            other.unload()
        self._session = _Session(track, context, time.time(), last_pos_ms=start_ms)
        self._pending_seek_ms = start_ms
        self._apply_volume()
        if start_ms:
            self.deck.player.setPosition(start_ms)
        if paused:
            self.deck.player.pause()
        else:
            self.deck.player.play()
        self.trackChanged.emit(track)
        if self.deck.failed:
            self._handle_failure(self._active, self.deck.failed)

    def _finish_session(self, *, completed: bool) -> None:
        session, self._session = self._session, None
        if session is None:
            return
        duration = session.track.duration
        played_s = session.played_ms / 1000.0
        if completed and duration:
            # the last position report comes a little before the end; count the tail heard
            tail_s = max(0.0, float(duration) - session.last_pos_ms / 1000.0)
            played_s = min(float(duration), played_s + tail_s)
        if played_s <= 0 and not completed:
            return  # never started (loaded paused, or failed): not a play
        self.playFinished.emit(
            FinishedPlay(
                session.track.id, played_s, duration, completed, session.context, session.started_at
            )
        )

    def _on_position(self, index: int, pos: int) -> None:
        if index != self._active or self._session is None:
            return
        session = self._session
        step = pos - session.last_pos_ms
        if 0 < step <= MAX_POSITION_STEP_MS and self.is_playing():
            session.played_ms += step
        session.last_pos_ms = pos
        if self._ended_at is not None and pos > 0:
            self.last_gap_ms = (time.perf_counter() - self._ended_at) * 1000.0
            self._ended_at = None
            self.gapMeasured.emit(self.last_gap_ms)
        duration = self.deck.player.duration()
        self.positionChanged.emit(pos, duration)
        if duration > 0 and duration - pos < PRELOAD_BEFORE_END_MS:
            self._preload()

    def _preload(self) -> None:
        other = self._decks[1 - self._active]
        upcoming = self.peek_next()
        if upcoming is None or (other.track is not None and other.track.id == upcoming.id):
            return
        if self._session is not None and upcoming.id == self._session.track.id:
            return  # repeat one: replaying the same deck is instant anyway
        other.load(upcoming)
        other.output.setVolume(self.deck.output.volume())
        self._apply_volume()

    def _on_status(self, index: int, status: QMediaPlayer.MediaStatus) -> None:
        if index != self._active or self._session is None:
            return
        if self._pending_seek_ms and status in (
            QMediaPlayer.MediaStatus.LoadedMedia,
            QMediaPlayer.MediaStatus.BufferedMedia,
        ):
            # a position set before the file was open is lost; apply it once it is
            pending, self._pending_seek_ms = self._pending_seek_ms, 0
            if self.deck.player.position() < pending - MAX_POSITION_STEP_MS:
                self.deck.player.setPosition(pending)
        if status == QMediaPlayer.MediaStatus.EndOfMedia:
            self._failures = 0
            self._ended_at = time.perf_counter()
            self._finish_session(completed=True)
            choice = self.next_track()
            if choice is None:
                self.deck.unload()
                self.trackChanged.emit(None)
                self.stateChanged.emit("stopped")
                self._ended_at = None
            else:
                self._start(*choice)
        elif status == QMediaPlayer.MediaStatus.InvalidMedia:
            self._handle_failure(index, self._decks[index].player.errorString() or "invalid media")

    def _on_error(self, index: int, message: str) -> None:
        deck = self._decks[index]
        deck.failed = message or "cannot be played"
        if index == self._active and self._session is not None:
            self._handle_failure(index, deck.failed)

    def _handle_failure(self, index: int, message: str) -> None:
        session = self._session
        if session is None or index != self._active:
            return
        self._session = None  # an unplayable file is not a play
        self._failures += 1
        self.deck.unload()
        self.unplayable.emit(session.track, message)
        if self._failures >= MAX_CONSECUTIVE_FAILURES:
            self._failures = 0
            self.trackChanged.emit(None)
            self.stateChanged.emit("stopped")
            return
        choice = self.next_track()
        if choice is None:
            self.trackChanged.emit(None)
            self.stateChanged.emit("stopped")
        else:
            self._start(*choice)

    def _on_state(self, index: int, state: QMediaPlayer.PlaybackState) -> None:
        if index != self._active:
            return
        if state == QMediaPlayer.PlaybackState.PlayingState:
            self.stateChanged.emit("playing")
        elif state == QMediaPlayer.PlaybackState.PausedState:
            self.stateChanged.emit("paused")
        elif self._session is None:
            self.stateChanged.emit("stopped")
