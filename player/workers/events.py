"""Change events from the data side, which views subscribe to (as Quod Libet's librarian does).

Whoever completes a write says what it changed here (the scan job: tracks; the writer after
`record_play`: a play; a playlist edit: that playlist; the analysis job: embeddings). Writes
that land close together, such as a run of skips or a scan followed by a reload, reach views as
one event per kind, merged, after `COALESCE_MS` (Strawberry's coalescing update queue): a view
re-reads once, not once per write. The long jobs themselves (scan, analysis) are announced as
they start and end, with a typed outcome: their summary or a `JobFailed`.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal

from recommender.history.plays import Play

COALESCE_MS = 50
"""Changes reported within this long of each other are announced together."""


@dataclass(frozen=True)
class TracksChanged:
    """Library rows written by a scan or an open: how many were added, updated and removed."""

    added: int = 0
    updated: int = 0
    removed: int = 0

    def __add__(self, other: TracksChanged) -> TracksChanged:
        return TracksChanged(
            self.added + other.added, self.updated + other.updated, self.removed + other.removed
        )


@dataclass(frozen=True)
class PlaysRecorded:
    """Plays written to the history, oldest first."""

    plays: tuple[Play, ...]


@dataclass(frozen=True)
class PlaylistsChanged:
    """Playlists created, edited, renamed or deleted (their ids; a deleted one is gone)."""

    playlist_ids: frozenset[int]


@dataclass(frozen=True)
class EmbeddingsChanged:
    """Sound embeddings written by an analysis run."""

    embedded: int


@dataclass(frozen=True)
class JobFailed:
    """A long job that stopped with an error: the person-readable message."""

    message: str

    def __str__(self) -> str:
        return self.message


class LibraryEvents(QObject):
    """The data-side signals; emitted only by this object's own methods."""

    tracksChanged = Signal(object)  # TracksChanged
    playsRecorded = Signal(object)  # PlaysRecorded
    playlistsChanged = Signal(object)  # PlaylistsChanged
    embeddingsChanged = Signal(object)  # EmbeddingsChanged
    scanFinished = Signal(object)  # ScanSummary | JobFailed, as it happens
    analysisStarted = Signal(object)  # the Job: its signals.progress reports Progress
    analysisFinished = Signal(object)  # AnalyzeSummary | JobFailed, as it happens

    def __init__(self, parent: QObject | None = None, *, coalesce_ms: int = COALESCE_MS) -> None:
        super().__init__(parent)
        self._tracks: TracksChanged | None = None
        self._plays: list[Play] = []
        self._playlists: set[int] | None = None
        self._embedded: int | None = None
        self._closed = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(coalesce_ms)
        self._timer.timeout.connect(self.flush)

    # --- reported by the writes -----------------------------------------------------------
    def tracks_changed(self, change: TracksChanged) -> None:
        if self._closed or not (change.added or change.updated or change.removed):
            return
        self._tracks = change if self._tracks is None else self._tracks + change
        self._timer.start()

    def play_recorded(self, play: Play) -> None:
        if self._closed:
            return
        self._plays.append(play)
        self._timer.start()

    def playlist_changed(self, playlist_id: int) -> None:
        if self._closed:
            return
        self._playlists = (self._playlists or set()) | {playlist_id}
        self._timer.start()

    def embeddings_changed(self, embedded: int) -> None:
        if self._closed or embedded <= 0:
            return
        self._embedded = (self._embedded or 0) + embedded
        self._timer.start()

    # --- long jobs --------------------------------------------------------------------------
    def scan_finished(self, outcome: object) -> None:
        """A scan's `ScanSummary`, or `JobFailed`; its track changes come through `flush`."""
        self.scanFinished.emit(outcome)

    def analysis_started(self, job: object) -> None:
        self.analysisStarted.emit(job)

    def analysis_finished(self, outcome: object) -> None:
        self.analysisFinished.emit(outcome)

    # --- announcing ---------------------------------------------------------------------------
    def pending(self) -> bool:
        return self._timer.isActive()

    def close(self) -> None:
        """The app is closing: what is pending, and what is reported from now on, is dropped
        (the writes are done; only the views of a closing window would hear of them)."""
        self._closed = True
        self._timer.stop()
        self._tracks, self._embedded, self._playlists, self._plays = None, None, None, []

    def flush(self) -> None:
        """Announce what is pending now: tracks, embeddings, playlists, then plays."""
        self._timer.stop()
        tracks, self._tracks = self._tracks, None
        embedded, self._embedded = self._embedded, None
        playlists, self._playlists = self._playlists, None
        plays, self._plays = self._plays, []
        if tracks is not None:
            self.tracksChanged.emit(tracks)
        if embedded is not None:
            self.embeddingsChanged.emit(EmbeddingsChanged(embedded))
        if playlists is not None:
            self.playlistsChanged.emit(PlaylistsChanged(frozenset(playlists)))
        if plays:
            self.playsRecorded.emit(PlaysRecorded(tuple(plays)))
