"""Printing for the CLI: stable JSON on stdout, human text, and a progress bar on stderr."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from recommender.core.progress import Progress
from recommender.core.text import count_of, format_duration

__all__ = ["ProgressBar", "count_of", "format_duration", "print_json"]


def print_json(data: Any) -> None:
    """Machine-readable output: one JSON document, keys in a stable order, ASCII-safe."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=True, default=str) + "\n")


class ProgressBar:
    """A one-line bar with counts, rate and ETA on a terminal; silent when stderr is a pipe."""

    WIDTH = 28
    MIN_INTERVAL_S = 0.1

    def __init__(self, label: str, *, enabled: bool | None = None) -> None:
        self.label = label
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._last = 0.0
        self._shown = False

    def __call__(self, progress: Progress) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < self.MIN_INTERVAL_S and progress.done != progress.total:
            return
        self._last = now
        total = progress.total or 0
        frac = min(progress.done / total, 1.0) if total else 0.0
        filled = int(frac * self.WIDTH)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        rate = progress.rate
        eta = f" ETA {format_duration(progress.eta_s)}" if progress.eta_s is not None else ""
        phase = f" {progress.phase}" if progress.phase else ""
        line = f"\r{self.label}{phase} [{bar}] {progress.done:,}/{total:,} {rate:,.0f}/s{eta}   "
        sys.stderr.write(line)
        sys.stderr.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            sys.stderr.write("\n")
            sys.stderr.flush()
