"""Thread budgets: count the threads worker processes really start, not what we asked for."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from recommender.core.threads import CORES_ENV, cores_given, worker_pool
from recommender.sound import analyze
from recommender.sound.model import MODEL_PATH
from tests.recommender.generated_audio import tone, write

ROOT = Path(__file__).resolve().parents[3]
linux_only = pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs /proc")


def _native_threads() -> int:
    """Threads of this process that Python did not start (BLAS, OpenMP, onnxruntime pools)."""
    return len(os.listdir("/proc/self/task")) - threading.active_count()


def _pool_threads() -> list[int]:
    from threadpoolctl import threadpool_info

    return [pool["num_threads"] for pool in threadpool_info()]


def _analyse_and_count(path: str) -> tuple[int, int, list[int]]:
    """In an analysis worker: embed one file, run a log-mel-sized matrix product, count."""
    assert analyze._worker_model is not None
    result = analyze.embed_chunk(analyze._worker_model, [(1, path)])
    spectrum = np.ones((128, 513), np.float32)
    for _ in range(20):
        spectrum @ np.ones((513, 64), np.float32)
    return len(result.vectors), _native_threads(), _pool_threads()


def _scan_worker_count() -> tuple[int, list[int]]:
    import recommender.library.scan  # noqa: F401  (what a scan worker loads)

    return _native_threads(), _pool_threads()


@linux_only
@pytest.mark.skipif(not MODEL_PATH.exists(), reason="no shipped sound model")
def test_analysis_worker_runs_one_compute_thread(tmp_path: Path) -> None:
    path = write(tmp_path / "a.ogg", tone(20, 22050, 220), 22050)
    with worker_pool(2, analyze._init_worker, (str(MODEL_PATH),)) as pool:
        results = [pool.submit(_analyse_and_count, str(path)).result() for _ in range(2)]
    for embedded, native, pools in results:
        assert embedded == 1
        # Only the one idle thread onnxruntime starts on import; without the budget OpenBLAS
        # adds one per extra core for numpy and again for scipy.
        assert native <= 1, native
        assert pools and all(n == 1 for n in pools), pools


@linux_only
def test_scan_worker_runs_one_thread() -> None:
    with worker_pool(2) as pool:
        native, pools = pool.submit(_scan_worker_count).result()
    assert native == 0
    assert all(n == 1 for n in pools), pools


def test_budget_applies_after_numpy_has_loaded() -> None:
    code = (
        "import numpy, scipy.linalg\n"
        "from threadpoolctl import threadpool_info\n"
        "from recommender.core.threads import set_thread_budget\n"
        "set_thread_budget()\n"
        "print(sorted({p['num_threads'] for p in threadpool_info()}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        env.pop(var, None)
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[1]"


def test_cores_given_follows_the_environment_then_the_affinity(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(CORES_ENV, "3")
    assert cores_given() == 3
    monkeypatch.setenv(CORES_ENV, "lots")
    assert cores_given() == (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    )


STAT_BEFORE = """cpu  300 0 100 1000 0 0 0 0 0 0
cpu0 100 0 50 500 0 0 0 0 0 0
cpu1 200 0 50 500 0 0 0 0 0 0
cpu2 0 0 0 0 0 0 0 0 0 0
intr 12345
"""
# 100 ticks later on each core: cpu0 half idle (50 of 100), cpu1 all busy, cpu2 all idle.
STAT_AFTER = """cpu  450 0 100 1150 0 0 0 0 0 0
cpu0 150 0 50 550 0 0 0 0 0 0
cpu1 300 0 50 500 0 0 0 0 0 0
cpu2 0 0 0 100 0 0 0 0 0 0
intr 12399
"""


def test_idle_cores_count_only_the_cores_this_process_was_given():
    from recommender.core.threads import CpuSample

    mine = {0, 1}  # cpu2 is idle but not ours
    before, after = CpuSample(STAT_BEFORE, mine), CpuSample(STAT_AFTER, mine)
    assert after.idle_cores_since(before) == pytest.approx(0.5)
    assert CpuSample(STAT_AFTER, {0, 1, 2}).idle_cores_since(CpuSample(STAT_BEFORE, {0, 1, 2})) \
        == pytest.approx(1.5)  # fmt: skip
    assert after.idle_cores_since(after) is None, "no time between the samples: unknown"
    assert CpuSample("", mine).idle_cores_since(before) is None


def test_readers_are_this_process_plus_the_idle_cores():
    from recommender.core.threads import readers_for

    assert readers_for(0.1, 2) == 1  # the machine is busy: no workers
    assert readers_for(0.9, 2) == 2
    assert readers_for(5.0, 4) == 4  # never more than the cores given
    assert readers_for(None, 4) == 4  # unknown: all of them
