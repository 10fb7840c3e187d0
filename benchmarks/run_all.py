"""Every benchmark in one go, each number printed beside its baseline from the same run.

Run: python benchmarks/run_all.py [--quick] [--real CACHE/corpus]
Runs bench_analyze, bench_recommend, bench_scan and bench_gui one after another (each prints
its own table with the baseline beside every number), then times `tonearm --version` and
`--help` beside a bare Python start. The load average is printed before and after each, since
the machine may be shared: read every number with it. No benchmark is a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FULL = {
    "bench_analyze.py": ["--tracks", "60", "--runs", "3"],
    "bench_recommend.py": ["--runs", "3"],
    "bench_scan.py": ["--files", "20000", "--runs", "3"],
    "bench_gui.py": ["--tracks", "100000", "--runs", "3"],
}
QUICK = {
    "bench_analyze.py": ["--tracks", "12", "--runs", "1"],
    "bench_recommend.py": ["--tracks", "20000", "--plays", "200000", "--runs", "1"],
    "bench_scan.py": ["--files", "2000", "--runs", "1"],
    "bench_gui.py": ["--tracks", "10000", "--runs", "1"],
}


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _median_start_ms(args: list[str], runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(args, cwd=ROOT, capture_output=True, check=True)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, to check it runs")
    parser.add_argument(
        "--real",
        type=Path,
        help="also time analysis on real 3-5 min music under this folder (e.g. the training "
        "cache's corpus/), half re-encoded to Opus, MP3 and FLAC",
    )
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    print(f"# {time.strftime('%Y-%m-%d %H:%M')} UTC, {os.cpu_count()} cores", flush=True)
    runs = dict(QUICK if args.quick else FULL)
    if args.real:
        runs["bench_analyze.py --files"] = [
            "--files", str(args.real), "--convert", *runs["bench_analyze.py"]
        ]  # fmt: skip
    for name, script_args in runs.items():
        script = name.split()[0]
        head = f"{script} {' '.join(script_args)}"
        print(f"\n## {head}  (load average before: {_load()})", flush=True)
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), *script_args],
                       cwd=ROOT, env=env, check=False)  # fmt: skip
        print(f"(load average after: {_load()})", flush=True)
    print(f"\n## start-up, median of 7  (load average before: {_load()})")
    bare = _median_start_ms([sys.executable, "-c", "pass"])
    for flag in ("--version", "--help"):
        ms = _median_start_ms([sys.executable, "-m", "player", flag])
        print(f"tonearm {flag:<10} {ms:6.0f} ms   baseline: bare python {bare:.0f} ms; "
              "target < 150 ms")  # fmt: skip
    print(f"(load average after: {_load()})")


if __name__ == "__main__":
    main()
