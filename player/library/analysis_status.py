"""A line that says how much of the library has been analysed, with a bar while analysis runs.

Similarity needs sound embeddings; without the model or before analysis the user should read
why "More like this" is empty instead of guessing. Counts are read in a worker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget

from recommender.core.progress import Progress
from recommender.sound.coverage import SoundCoverage, sound_coverage

if TYPE_CHECKING:
    from player.workers.context import ViewContext


class AnalysisStatus(QWidget):
    """Embedding counts and the similarity note; a progress bar while analysis runs."""

    coverageChanged = Signal(object)  # SoundCoverage

    def __init__(self, ctx: ViewContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.coverage: SoundCoverage | None = None
        self.label = QLabel("Sound analysis: counting…")
        self.label.setWordWrap(True)
        self.label.setEnabled(False)  # greyed: a status line, not content
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(200)
        self.bar.setTextVisible(True)
        self.bar.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.bar)
        ctx.events.analysisStarted.connect(self._analysis_started)
        ctx.events.analysisFinished.connect(lambda _outcome: self._analysis_ended())
        ctx.events.tracksChanged.connect(lambda _change: self.refresh())

    def refresh(self) -> None:
        self.ctx.jobs.start(
            lambda store, _job: sound_coverage(store),
            data_dir=self.ctx.data_dir,
            on_done=self._counted,
            on_error=lambda m: self.label.setText(f"Sound analysis: cannot count ({m})"),
        )

    def _counted(self, coverage: SoundCoverage) -> None:
        self.coverage = coverage
        self.label.setText(coverage.note)
        self.coverageChanged.emit(coverage)

    def _analysis_started(self, job) -> None:
        self.bar.setRange(0, 0)
        self.bar.setFormat("Analysing…")
        self.bar.show()
        job.signals.progress.connect(self._progress)

    def _progress(self, progress: Progress) -> None:
        if progress.total:
            self.bar.setRange(0, progress.total)
            self.bar.setValue(progress.done)
            self.bar.setFormat("Analysing %v of %m")

    def _analysis_ended(self) -> None:
        self.bar.hide()
        self.refresh()
