"""Thread budgets: the compute threads of Tonearm's processes add up to the cores they were given.

Parallel work is one process per core (analysis and scan workers, server workers), each running
its numeric code on one thread. Left alone, numpy's and scipy's OpenBLAS start a thread per core
in every process and spin them for tiny matrix products: on a loaded 2-core machine that halved
analysis speed and made `recommend` 2 to 4 times slower. So every entry point calls
``set_thread_budget`` first: it writes the libraries' thread settings into the environment (read
when they load, and inherited by the processes we spawn) and, for libraries already loaded,
applies the same limit through threadpoolctl. onnxruntime's pools are sized per session (see
``recommender.sound.model``).

``cores_given`` is what the process may use: ``$TONEARM_CORES`` when set, else its CPU affinity
(so ``taskset`` and container limits are honoured).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import concurrent.futures as cf

CORES_ENV = "TONEARM_CORES"
THREADS_PER_PROCESS = 1
THREAD_ENV_VARS: tuple[str, ...] = (
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)
_NUMERIC_MODULES = ("numpy", "scipy", "torch", "sklearn")


def cores_given() -> int:
    """Cores this process may use: $TONEARM_CORES, else its CPU affinity, else all of them."""
    wanted = os.environ.get(CORES_ENV, "").strip()
    if wanted.isdigit() and int(wanted) > 0:
        return int(wanted)
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class CpuSample:
    """Idle and total CPU time of the cores this process may use, from /proc/stat (Linux), to
    see how many of them others leave idle: `idle_cores_since` another sample."""

    def __init__(self, stat_text: str | None = None, cpus: set[int] | None = None) -> None:
        self.idle = self.total = 0.0
        self.cores = 0
        try:
            text = stat_text if stat_text is not None else _read_proc_stat()
            mine = cpus if cpus is not None else os.sched_getaffinity(0)
        except (OSError, AttributeError):
            return
        for line in text.splitlines():
            name, _, rest = line.partition(" ")
            if not name.startswith("cpu") or not name[3:].isdigit() or int(name[3:]) not in mine:
                continue
            ticks = [float(x) for x in rest.split()[:8]]  # user nice system idle iowait ...
            self.idle += ticks[3] + ticks[4]
            self.total += sum(ticks)
            self.cores += 1

    def idle_cores_since(self, earlier: CpuSample, min_ticks: float = 5.0) -> float | None:
        """Cores left idle between `earlier` and this sample (by everything, this process
        included); None when unknown or the two are too close together to tell."""
        if not self.cores or self.cores != earlier.cores:
            return None
        total = self.total - earlier.total
        if total < min_ticks:
            return None
        return self.cores * max(0.0, self.idle - earlier.idle) / total


def _read_proc_stat() -> str:
    with open("/proc/stat") as fh:
        return fh.read()


def idle_cores(since: CpuSample) -> float | None:
    """Cores left idle since the sample `since` was taken; the 1-minute load average stands in
    when that was too short ago to tell. None when neither is known."""
    idle = CpuSample().idle_cores_since(since)
    if idle is not None:
        return idle
    try:
        return max(0.0, cores_given() - os.getloadavg()[0])
    except (OSError, AttributeError):
        return None


def readers_for(idle: float | None, cores: int) -> int:
    """Processes worth reading with: this one (busy while `idle` was measured) plus one for
    each core left idle, up to `cores`; all `cores` when idleness is unknown. On a busy machine
    more processes only add their start-up and hand-over costs: two scan workers read slower
    than one process there."""
    if idle is None:
        return cores
    return max(1, min(cores, 1 + int(idle + 0.5)))


def set_thread_budget(threads: int = THREADS_PER_PROCESS) -> None:
    """Give this process, and every process it spawns from now on, ``threads`` compute threads
    in BLAS and OpenMP pools. Cheapest before numpy loads; works after too."""
    for var in THREAD_ENV_VARS:
        os.environ[var] = str(threads)
    if any(name in sys.modules for name in _NUMERIC_MODULES):
        from threadpoolctl import threadpool_limits

        threadpool_limits(threads)


PARENT_CHECK_S = 0.5


def exit_with_parent(parent_pid: int, interval_s: float = PARENT_CHECK_S) -> None:
    """End this worker soon after `parent_pid` dies (a `kill -9` of `scan` or `analyze` left
    its workers, up to 300 MB each, running); an orphan's parent id changes to its reaper's."""

    def watch() -> None:
        while True:
            time.sleep(interval_s)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, name="tonearm-parent-watch", daemon=True).start()


def _start_worker(
    threads: int, initializer: Callable | None, initargs: tuple, parent_pid: int | None = None
) -> None:
    if parent_pid is not None:
        exit_with_parent(parent_pid)
    set_thread_budget(threads)
    if initializer is not None:
        initializer(*initargs)


def worker_pool(
    workers: int, initializer: Callable | None = None, initargs: tuple = ()
) -> cf.ProcessPoolExecutor:
    """``workers`` spawned processes of one compute thread each (so the pool's threads add up to
    ``workers`` cores). Spawned, not forked: safe from a GUI with threads running."""
    import concurrent.futures as cf  # here, not at the top: every entry point imports this module
    import multiprocessing

    set_thread_budget()  # the environment the workers inherit; they load numpy after reading it
    return cf.ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(THREADS_PER_PROCESS, initializer, initargs, os.getpid()),
    )
