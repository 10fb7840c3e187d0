"""One worker thread that owns the TasteModel and sound index for discovery features.

For you, radio, "More like this", playlists from a track and mixes all read the same derived
caches. Neither the model nor a `Radio` is thread-safe, so every job that touches them runs on
this single thread, in order; the model is rebuilt there when the store says it is stale.
Network calls do not run here (they would hold up a radio refill): see `discovery.for_you_view`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject

from player.workers.background import Job, JobRunner
from recommender.library.store import Store

if TYPE_CHECKING:  # loaded by the first job that needs them, not before the window's rows
    from recommender.discovery.taste_model import TasteModel
    from recommender.sound.similarity import SimilarityIndex

SHUTDOWN_WAIT_MS = 5000
TasteJob = Callable[[Store, "TasteWorker"], Any]


class TasteWorker(QObject):
    """Runs `fn(store, worker)` jobs one at a time; `model(store)` inside them is kept fresh."""

    def __init__(self, data_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.data_dir = data_dir
        self.runner = JobRunner(1, self, name="taste")
        self._model: TasteModel | None = None
        self._index: SimilarityIndex | None = None
        self._index_signature: tuple | None = None

    def submit(
        self,
        fn: TasteJob,
        *,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[str], None] | None = None,
    ) -> Job:
        return self.runner.start(
            lambda store, _job: fn(store, self),
            data_dir=self.data_dir,
            on_done=on_done,
            on_error=on_error,
        )

    # --- called on the worker thread only ----------------------------------------------------
    def model(self, store: Store) -> TasteModel:
        """The kept model, rebuilt when plays, tracks, embeddings or dismissals changed."""
        if self._model is None or self._model.is_stale(store):
            from recommender.discovery.taste_model import load_taste_model  # scipy: 0.2 s

            self._model = load_taste_model(store)
        return self._model

    def similarity_index(self, store: Store) -> SimilarityIndex:
        """The sound index (NotFoundError while there are no embeddings), reloaded on change."""
        from recommender.sound.embeddings import embeddings_signature
        from recommender.sound.similarity import load_index

        signature = embeddings_signature(store)
        if self._index is None or signature != self._index_signature:
            self._index = load_index(store)
            self._index_signature = signature
        return self._index

    # --- lifetime -----------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Close:
            self.runner.cancel_all()
            self.runner.wait_for_done(SHUTDOWN_WAIT_MS)
            self.runner.detach_all()
        return False
