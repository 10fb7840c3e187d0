"""Work off the GUI thread: jobs on a QThreadPool that report back through Qt signals.

Each job opens its own `Store` (an sqlite connection belongs to one thread). Results cross to the
GUI thread as queued signal emissions, so slots always run on the GUI thread.
"""

from __future__ import annotations

import logging
import os
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtGui import QImage

from recommender.core.errors import TonearmError
from recommender.core.progress import Progress
from recommender.library.store import Store, open_store

log = logging.getLogger(__name__)
COVER_SIZE_PX = 512
WATCH_MAX_DIRS = 4000
"""Directories watched for changes; beyond this, only the start-up rescan finds new files."""


class JobSignals(QObject):
    """What a job reports: a result, a person-readable error, or progress."""

    finished = Signal(object)
    failed = Signal(str)
    progress = Signal(object)


class Job(QRunnable):
    """Run `fn(store, job)` (or `fn(job)` without a store) on a pool thread."""

    def __init__(self, fn: Callable[..., Any], data_dir: Path | None = None) -> None:
        super().__init__()
        self.fn = fn
        self.data_dir = data_dir
        self.signals = JobSignals()
        self.cancel_event = threading.Event()
        self.setAutoDelete(False)  # the Python side keeps it (and its signals) alive

    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def report(self, progress: Progress) -> None:
        self.signals.progress.emit(progress)

    def run(self) -> None:
        store: Store | None = None
        try:
            if self.data_dir is not None:
                store = open_store(self.data_dir)
                result = self.fn(store, self)
            else:
                result = self.fn(self)
        except TonearmError as exc:
            self.signals.failed.emit(str(exc))
        except Exception as exc:  # a worker must never take the app down; say what happened
            log.error("background job failed:\n%s", traceback.format_exc())
            self.signals.failed.emit(f"{type(exc).__name__}: {exc}")
        else:
            self.signals.finished.emit(result)
        finally:
            if store is not None:
                store.close()


class JobRunner(QObject):
    """Starts jobs on a pool and keeps them referenced until they report back."""

    def __init__(self, pool: QThreadPool, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = pool
        self._running: set[Job] = set()

    def start(
        self,
        fn: Callable[..., Any],
        *,
        data_dir: Path | None = None,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[str], None] | None = None,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> Job:
        job = Job(fn, data_dir)
        if on_done is not None:
            job.signals.finished.connect(on_done)
        if on_error is not None:
            job.signals.failed.connect(on_error)
        if on_progress is not None:
            job.signals.progress.connect(on_progress)
        job.signals.finished.connect(lambda _r, j=job: self._running.discard(j))
        job.signals.failed.connect(lambda _m, j=job: self._running.discard(j))
        self._running.add(job)
        self.pool.start(job)
        return job

    def busy(self) -> bool:
        return bool(self._running)

    def cancel_all(self) -> None:
        for job in list(self._running):
            job.cancel_event.set()


def load_cover_image(path: str) -> QImage | None:
    """Cover bytes decoded and scaled (QImage is safe to build off the GUI thread)."""
    from recommender.library.cover_art import find_cover

    data = find_cover(path)
    if not data:
        return None
    image = QImage.fromData(data)
    if image.isNull():
        return None
    if max(image.width(), image.height()) > COVER_SIZE_PX:
        image = image.scaled(
            COVER_SIZE_PX, COVER_SIZE_PX, aspectMode=_keep_aspect(), mode=_smooth()
        )
    return image


def _keep_aspect():
    from PySide6.QtCore import Qt

    return Qt.AspectRatioMode.KeepAspectRatio


def _smooth():
    from PySide6.QtCore import Qt

    return Qt.TransformationMode.SmoothTransformation


def library_dirs(folders: list[str], limit: int = WATCH_MAX_DIRS) -> list[str]:
    """The library folders and their subfolders, for the file system watcher (walks the disk)."""
    out: list[str] = []
    for root in folders:
        if not os.path.isdir(root):
            continue
        for dirpath, dirnames, _files in os.walk(root):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            out.append(dirpath)
            if len(out) >= limit:
                return out
    return out
