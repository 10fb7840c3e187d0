"""Progress reports and cancellation for long work: one implementation, a CLI bar or GUI signal."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Progress:
    """How far a long job is; `rate` is items per second since it started."""

    done: int
    total: int | None
    phase: str = ""
    started: float = field(default_factory=time.monotonic)

    @property
    def elapsed_s(self) -> float:
        return max(time.monotonic() - self.started, 1e-9)

    @property
    def rate(self) -> float:
        return self.done / self.elapsed_s

    @property
    def eta_s(self) -> float | None:
        if not self.total or self.done <= 0:
            return None
        return (self.total - self.done) / max(self.rate, 1e-9)


ProgressCallback = Callable[[Progress], None]
CancelCheck = Callable[[], bool]


def never_cancel() -> bool:
    return False


class Cancelled(Exception):
    """Raised inside long work when its cancel check says stop; work done so far is kept."""
