"""The model a replica serves, switched to a new one without dropping a request.

`tonearm serve build --out MODEL` writes the new model beside MODEL and renames it into place
(one atomic rename: a reader sees the old file or the new one, never half of one). Each worker
checks the file every `RELOAD_CHECK_S`; when it changed, the worker loads the new model on a
background thread and then swaps one reference. A request holds the model it started with, so
requests in flight finish on the old model and the next ones get the new. A file that fails to
load is logged and the old model keeps serving. `/health` names the version each worker serves.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

from recommender.core.errors import TonearmError
from recommender.server.model import ItemModel, load_model

RELOAD_CHECK_S = 2.0
log = logging.getLogger("recommender.server")


def _file_id(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


class ServedModel:
    """Holds `current`; `check()` reloads when the file changed; `start()` checks in a thread."""

    def __init__(self, model: ItemModel, path: Path | None = None) -> None:
        self.current = model
        self.path = path
        self.loaded_at = time.time()
        self._seen = _file_id(path) if path is not None else None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def from_file(cls, path: Path) -> ServedModel:
        return cls(load_model(path), path)

    def check(self) -> bool:
        """Load the file again if it changed since the last look; True when the model switched."""
        if self.path is None:
            return False
        seen = _file_id(self.path)
        if seen is None or seen == self._seen:
            return False
        self._seen = seen
        try:
            model = load_model(self.path)
        except (TonearmError, OSError, ValueError, KeyError) as exc:
            log.error("new model file not loaded, still serving the old one: %s", exc)
            return False
        old, self.current = self.current, model
        self.loaded_at = time.time()
        log.info(
            "model switched",
            extra={"model_version": model.version, "previous": old.version, "pid": os.getpid()},
        )
        return True

    def start(self, every_s: float = RELOAD_CHECK_S) -> None:
        if self.path is None or self._thread is not None:
            return

        def watch() -> None:
            while not self._stop.wait(every_s):
                self.check()

        self._thread = threading.Thread(target=watch, name="model-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
