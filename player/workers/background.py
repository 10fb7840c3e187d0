"""Work off the GUI thread: jobs on Python worker threads that report back through Qt signals.

The threads are Python's own (`threading`), never a `QThreadPool`'s: Qt never calls into Python
from a thread it started, so no Qt thread can wait for the GIL while the GUI thread, holding it,
waits for that Qt thread (the hang of `QMediaPlayer.stop()` in issue 17). Each job opens its own
`Store` (an sqlite connection belongs to one thread). Results cross to the GUI thread as queued
signal emissions, so slots always run on the GUI thread.
"""

from __future__ import annotations

import logging
import os
import queue
import sqlite3
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from recommender.core.errors import TonearmError
from recommender.core.progress import Progress
from recommender.library.store import DB_FILE, Store, open_store, store_error

log = logging.getLogger(__name__)
COVER_SIZE_PX = 512
WATCH_MAX_DIRS = 4000
"""Directories watched for changes; beyond this, only the start-up rescan finds new files."""
IDLE_THREAD_EXIT_S = 30.0
"""A worker thread with nothing to do for this long ends; the next job starts a new one."""


class JobSignals(QObject):
    """What a job reports: a result, a person-readable error, or progress."""

    finished = Signal(object)
    failed = Signal(str)
    progress = Signal(object)


class Job:
    """Run `fn(store, job)` (or `fn(job)` without a store) on a worker thread."""

    def __init__(self, fn: Callable[..., Any], data_dir: Path | None = None) -> None:
        self.fn = fn
        self.data_dir = data_dir
        self.signals = JobSignals()
        self.cancel_event = threading.Event()
        self._lock = threading.Lock()
        self._detached = False

    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def report(self, progress: Progress) -> None:
        self._emit(self.signals.progress, progress)

    def detach(self) -> None:
        """Cancel and report nothing more (the receivers are going away: the window quits)."""
        self.cancel_event.set()
        with self._lock:
            self._detached = True

    def _emit(self, signal: Any, value: Any) -> None:
        # Emitting under the lock means detach() returns only once no emission is in flight,
        # so a window that detached its jobs can be deleted without a late signal reaching it.
        with self._lock:
            if not self._detached:
                signal.emit(value)

    def run(self) -> None:
        store: Store | None = None
        try:
            if self.data_dir is not None:
                store = open_store(self.data_dir)
                result = self.fn(store, self)
            else:
                result = self.fn(self)
        except TonearmError as exc:
            self._emit(self.signals.failed, str(exc))
        except sqlite3.Error as exc:  # met outside a transaction, e.g. a damaged page in a query
            path = store.path if store is not None else Path(self.data_dir or ".") / DB_FILE
            read_only = store.read_only if store is not None else None
            self._emit(self.signals.failed, str(store_error(exc, path, read_only)))
        except Exception as exc:  # a worker must never take the app down; say what happened
            log.error("background job failed:\n%s", traceback.format_exc())
            self._emit(self.signals.failed, f"{type(exc).__name__}: {exc}")
        else:
            self._emit(self.signals.finished, result)
        finally:
            if store is not None:
                store.close()
            # The job stays referenced after it ends (its signals hold the slots connected to
            # them, and a slot holds the job), so let go of the function and all it captured:
            # before this, every job kept its data (a taste model, a decoded cover) for good.
            self.fn = _finished


def _finished(*_args: Any) -> None:
    """What a job's function is once it ran: it cannot run twice."""
    raise RuntimeError("this job has already run")


class WorkerThreads:
    """Up to `max_threads` Python threads taking jobs in order from one queue."""

    def __init__(self, max_threads: int, name: str) -> None:
        self.max_threads = max_threads
        self.name = name
        self._queue: queue.SimpleQueue[Job] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads: set[threading.Thread] = set()
        self._idle = 0
        self._pending = 0  # queued or running
        self._done = threading.Condition(self._lock)

    def start(self, job: Job) -> None:
        with self._lock:
            self._pending += 1
            self._queue.put(job)
            if self._idle == 0 and len(self._threads) < self.max_threads:
                thread = threading.Thread(
                    target=self._work, name=f"{self.name}-{len(self._threads)}", daemon=True
                )
                self._threads.add(thread)
                thread.start()

    def _work(self) -> None:
        me = threading.current_thread()
        while True:
            with self._lock:
                self._idle += 1
            try:
                job = self._queue.get(timeout=IDLE_THREAD_EXIT_S)
            except queue.Empty:
                with self._lock:
                    self._idle -= 1
                    if self._queue.empty():
                        self._threads.discard(me)
                        return
                    continue
            with self._lock:
                self._idle -= 1
            try:
                job.run()
            finally:
                with self._lock:
                    self._pending -= 1
                    self._done.notify_all()

    def wait_for_done(self, timeout_ms: int | None = None) -> bool:
        """Block until every started job ended (True) or `timeout_ms` passed (False)."""
        deadline = None if timeout_ms is None else time.monotonic() + timeout_ms / 1000
        with self._lock:
            while self._pending:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._done.wait(left)
        return True


class JobRunner(QObject):
    """Starts jobs on its worker threads and keeps them referenced until they report back."""

    def __init__(self, max_threads: int, parent: QObject | None = None, *, name: str = "job"):
        super().__init__(parent)
        self.threads = WorkerThreads(max_threads, name)
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
        # The job's signals are emitted on a worker thread; PySide queues a call to a plain
        # callable to the thread that connected it (the GUI thread), so the slots run there.
        if on_done is not None:
            job.signals.finished.connect(on_done)
        if on_error is not None:
            job.signals.failed.connect(on_error)
        if on_progress is not None:
            job.signals.progress.connect(on_progress)
        job.signals.finished.connect(lambda _r, j=job: self._running.discard(j))
        job.signals.failed.connect(lambda _m, j=job: self._running.discard(j))
        self._running.add(job)
        self.threads.start(job)
        return job

    def busy(self) -> bool:
        return bool(self._running)

    def cancel_all(self) -> None:
        for job in list(self._running):
            job.cancel_event.set()

    def wait_for_done(self, timeout_ms: int | None = None) -> bool:
        """Block until every started job ended (True) or `timeout_ms` passed (False)."""
        return self.threads.wait_for_done(timeout_ms)

    def detach_all(self) -> None:
        """On quit: cancel every job and let none report back (their receivers are closing)."""
        for job in list(self._running):
            job.detach()


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
