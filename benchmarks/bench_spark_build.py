"""The CF model build in-process (scipy) against Apache Spark (local mode), on growing listens.

    nice -n 10 python benchmarks/bench_spark_build.py [--sizes 1e6 2e6 4e6] [--cap-gib 2]
        [--spark-heap 1g] [--limit-s 1800]

SYNTHETIC listens, written once per size as Parquet (the format ListenBrainz publishes for
Spark): item popularity follows a power law (Zipf exponent 1.0), listener activity too, about
40 listens and 25 distinct items per listener, 1 item per 20 listens. Each build runs in its own
process group, bounded in time (--limit-s) and in memory: the whole tree's memory (for Spark:
the driver's Python, its JVM and the Python workers; proportional set size, so pages the forked
workers share count once) is sampled every 0.5 s and the build is killed past --cap-gib, which is
what "does not fit" means here. Both engines get the same cap; Spark's JVM heap (--spark-heap, the
driver's, which in local mode is the executor too) must leave room in it for the JVM's own
overhead and the Python processes. For Spark the peak is also split into the part with the JVM
running (the jobs) and the part after it stopped (streaming the model file). One run per size
and engine (each is minutes long); the in-process build is the baseline in the same run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
LISTENS_PER_ITEM = 20
LISTENS_PER_USER = 40
CHUNK_ROWS = 1_000_000


def write_listens(folder: Path, n: int, seed: int = 0) -> None:
    """n synthetic listens as Parquet files of CHUNK_ROWS rows (user, artist, title)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    n_items = max(1000, n // LISTENS_PER_ITEM)
    n_users = max(100, n // LISTENS_PER_USER)
    item_p = 1.0 / np.arange(1, n_items + 1)
    item_p /= item_p.sum()
    user_p = 1.0 / np.arange(1, n_users + 1) ** 0.5
    user_p /= user_p.sum()
    titles = pa.array([f"Song {i}" for i in range(n_items)])
    artists = pa.array([f"Artist {i // 10}" for i in range(n_items)])
    users = pa.array([f"listener{u}" for u in range(n_users)])
    # each listener has a home "scene" of items; popularity decides within it
    folder.mkdir(parents=True, exist_ok=True)
    for part, start in enumerate(range(0, n, CHUNK_ROWS)):
        rows = min(CHUNK_ROWS, n - start)
        user = rng.choice(n_users, rows, p=user_p)
        item = rng.choice(n_items, rows, p=item_p)
        home = (user * 7919) % n_items
        local = rng.random(rows) < 0.6
        item = np.where(local, (home + (item % 200)) % n_items, item)
        table = pa.table(
            {
                "user": pa.DictionaryArray.from_arrays(pa.array(user.astype(np.int32)), users),
                "artist": pa.DictionaryArray.from_arrays(pa.array(item.astype(np.int32)), artists),
                "title": pa.DictionaryArray.from_arrays(pa.array(item.astype(np.int32)), titles),
            }
        )
        pq.write_table(table, folder / f"{part:05d}.parquet")


def run_build(engine: str, data: Path, out: Path, spill: Path, heap: str) -> None:
    """The child: one build, timed from inside (Spark's start-up included)."""
    started = time.perf_counter()
    if engine == "spark":
        from recommender.server.spark_build import build_model_spark

        model = build_model_spark(
            [str(data)], out, driver_memory=heap, local_dir=str(spill), master="local[2]"
        )
    else:
        from recommender.server.model import build_model_from_files

        model = build_model_from_files([str(data)])
        model.save(out)
    elapsed = time.perf_counter() - started  # both: until the model file is written
    print(json.dumps({"seconds": elapsed, "items": model.size, "users": model.users}))


def _tree_pss(pid: int) -> tuple[int, bool]:
    """Bytes of the proportional set size of `pid` and all its descendants, from /proc (Linux),
    and whether a JVM is among them (for Spark: computing, else writing the model file).

    PSS, not RSS: Spark's forked Python workers share pages, which RSS would count twice."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            # the command name may hold spaces and parentheses: the ppid follows the last ")"
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    total, java, todo = 0, False, [pid]
    while todo:
        current = todo.pop()
        todo.extend(parents.get(current, []))
        with contextlib.suppress(OSError):
            java |= Path(f"/proc/{current}/comm").read_text().strip() == "java"
            for line in Path(f"/proc/{current}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
                    break
    return total, java


def measure(
    engine: str, data: Path, limit_s: float, cap_bytes: int, heap: str
) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="tonearm-bench-") as tmp:
        out = Path(tmp) / "model.npz"
        spill = Path(tmp) / "spill"
        spill.mkdir()
        cmd = [sys.executable, __file__, "--child", engine, str(data), str(out), str(spill), heap]
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
        proc = subprocess.Popen(
            cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True
        )
        peak, verdict, started = 0, "ok", time.monotonic()
        phase_peak = {True: 0, False: 0}  # with the JVM running, and without (writing the file)
        while proc.poll() is None:
            pss, java = _tree_pss(proc.pid)
            peak = max(peak, pss)
            phase_peak[java] = max(phase_peak[java], pss)
            if peak > cap_bytes:
                verdict = f"out of memory (> {cap_bytes / 2**30:g} GiB)"
            elif time.monotonic() - started > limit_s:
                verdict = f"over {limit_s:.0f} s"
            if verdict != "ok":
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                break
            time.sleep(0.5)
        stdout = proc.stdout.read().decode() if proc.stdout else ""
        if verdict == "ok" and proc.returncode != 0:
            verdict = f"failed (exit {proc.returncode})"
        result = json.loads(stdout.strip().splitlines()[-1]) if verdict == "ok" else {}
        return {
            "verdict": verdict,
            "seconds": result.get("seconds"),
            "wall_s": time.monotonic() - started,
            "peak_gib": peak / 2**30,
            "jvm_peak_gib": phase_peak[True] / 2**30,
            "after_jvm_peak_gib": phase_peak[False] / 2**30,
            "items": result.get("items"),
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[1e6, 2e6, 4e6])
    parser.add_argument("--engines", nargs="+", default=["local", "spark"])
    parser.add_argument("--cap-gib", type=float, default=2.0)
    parser.add_argument("--spark-heap", default="1g", help="Spark's driver (and executor) heap")
    parser.add_argument("--limit-s", type=float, default=1800.0)
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "tonearm-bench")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        engine, data, out, spill, heap = args.child
        run_build(engine, Path(data), Path(out), Path(spill), heap)
        return 0
    print(
        f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}; SYNTHETIC listens; "
        f"cap {args.cap_gib:g} GiB for each build; Spark local[2], heap {args.spark_heap}"
    )
    print("| listens | engine | build s | peak memory GiB | Spark: with JVM / writing | outcome |")
    print("| ---: | --- | ---: | ---: | --- | --- |", flush=True)
    for size in args.sizes:
        n = int(size)
        folder = args.data / f"listens-{n}"
        if not folder.exists():
            write_listens(folder, n)
        for engine in args.engines:
            cap = int(args.cap_gib * 2**30)
            row = measure(engine, folder, args.limit_s, cap, args.spark_heap)
            seconds = f"{row['seconds']:.1f}" if row["seconds"] else f">{row['wall_s']:.0f}"
            phases = (
                f"{row['jvm_peak_gib']:.2f} / {row['after_jvm_peak_gib']:.2f}"
                if engine == "spark"
                else ""
            )
            print(
                f"| {n:,} | {engine} | {seconds} | {row['peak_gib']:.2f} | {phases} | "
                f"{row['verdict']} (load {os.getloadavg()[0]:.1f}) |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
