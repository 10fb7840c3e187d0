"""Scan speed: first scan and unchanged rescan of generated libraries, with peak memory.

Builds N small tagged files (a mix of MP3, FLAC, Ogg Vorbis, Opus, M4A and WAV copied from
tiny templates and tagged one by one with mutagen), then measures in the same run:

- baseline "stat walk": os.walk + os.stat of every file (the floor for a rescan);
- baseline "mutagen alone": mutagen.File + .info.length on every file in one process (tag
  parsing without our database writes), before and after each run's scans;
- tonearm first scan (fresh database) with the readers it chooses for the load, with one
  process and with every core (how it scales), and the unchanged rescan, each in a fresh
  process so peak memory (max RSS of the scan process and its workers) is its own.
The load average before and after is printed: read every number with it.

Usage: python benchmarks/bench_scan.py [--files 20000 100000] [--runs 3] [--dir /tmp/bench]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EXTS = (".mp3", ".flac", ".ogg", ".opus", ".m4a", ".wav")
TRACKS_PER_ALBUM = 12


def _templates(folder: Path) -> dict[str, bytes]:
    from tests.audio_factory import write_audio

    out = {}
    for ext in EXTS:
        path = write_audio(folder / f"template{ext}", seconds=0.3)
        out[ext] = path.read_bytes()
    return out


def _make_files(args: tuple[Path, dict[str, bytes], int, int]) -> None:
    from tests.audio_factory import tag

    root, templates, start, stop = args
    for i in range(start, stop):
        ext = EXTS[i % len(EXTS)]
        album = i // TRACKS_PER_ALBUM
        artist = album // 4
        path = root / f"Artist {artist:05d}" / f"Album {album:06d}" / f"{i % 12 + 1:02d} T{i}{ext}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(templates[ext])
        tag(path, title=f"Track {i}", artist=f"Artist {artist}", album=f"Album {album}",
            tracknumber=f"{i % 12 + 1}/12", date=str(1960 + album % 60), genre="Rock")  # fmt: skip


def build_library(root: Path, count: int) -> None:
    existing = sum(1 for _ in root.rglob("*.*")) if root.exists() else 0
    if existing >= count:
        return
    templates = _templates(Path(tempfile.mkdtemp()))
    step = 2000
    jobs = [(root, templates, s, min(s + step, count)) for s in range(existing, count, step)]
    with multiprocessing.get_context("fork").Pool(os.cpu_count()) as pool:
        pool.map(_make_files, jobs)


def baseline_stat_walk(root: Path) -> float:
    start = time.perf_counter()
    n = 0
    for dirpath, _, files in os.walk(root):
        for name in files:
            os.stat(os.path.join(dirpath, name))
            n += 1
    return time.perf_counter() - start


def baseline_mutagen(root: Path) -> float:
    """mutagen.File + .info.length on every file, one process: files/s."""
    import mutagen

    paths = [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs]
    start = time.perf_counter()
    for p in paths:
        mutagen.File(p).info.length  # noqa: B018
    return len(paths) / (time.perf_counter() - start)


SCAN_SCRIPT = """
import json, resource, sys, time
from pathlib import Path
from recommender.library.store import open_store
from recommender.library.scan import scan_folders
store = open_store(Path(sys.argv[1]))
workers = int(sys.argv[3]) or None
s = scan_folders(store, [sys.argv[2]], workers=workers)
rss = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
          resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(json.dumps({"seconds": s.seconds, "added": s.added, "unchanged": s.unchanged,
                  "errors": s.errors, "readers": s.readers, "max_rss_mb": rss / 1024}))
"""


def run_scan(data: Path, root: Path, workers: int = 0) -> dict:
    """One scan in a fresh process; `workers` 0: as the scan chooses."""
    out = subprocess.run(
        [sys.executable, "-c", SCAN_SCRIPT, str(data), str(root), str(workers)],
        capture_output=True, text=True, cwd=ROOT, check=True,
    )  # fmt: skip
    return json.loads(out.stdout)


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def bench(count: int, runs: int, base: Path) -> list[str]:
    """Each run: mutagen alone, then first scans (as chosen, one reader, every core), the
    rescan, mutagen alone again; the medians over runs, so baseline and scans share the load."""
    root = base / f"lib{count}"
    t = time.perf_counter()
    build_library(root, count)
    print(f"# library of {count:,} files ready ({time.perf_counter() - t:.0f} s to build)",
          file=sys.stderr)  # fmt: skip
    cores = os.cpu_count() or 1
    load_before = _load()
    walk = statistics.median(baseline_stat_walk(root) for _ in range(runs))
    mutagen_rates: list[float] = []
    firsts: dict[str, list[float]] = {"auto": [], "1": [], str(cores): []}
    readers: list[int] = []
    rescans, first_rss, rescan_rss = [], [], []
    for _ in range(runs):
        mutagen_rates.append(baseline_mutagen(root))
        for mode in firsts:
            data = Path(tempfile.mkdtemp(prefix="tonearm-bench-"))
            first = run_scan(data, root, 0 if mode == "auto" else int(mode))
            assert first["added"] == count, first
            firsts[mode].append(first["seconds"])
            if mode == "auto":
                readers.append(first["readers"])
                first_rss.append(first["max_rss_mb"])
                again = run_scan(data, root)
                assert again["unchanged"] == count, again
                rescans.append(again["seconds"])
                rescan_rss.append(again["max_rss_mb"])
            shutil.rmtree(data)
        mutagen_rates.append(baseline_mutagen(root))
    mut = statistics.median(mutagen_rates)
    r = statistics.median(rescans)
    print(f"# {count:,} files: load average {load_before} before, {_load()} after; "
          f"{cores} cores; readers chosen per run: {readers}", file=sys.stderr)  # fmt: skip
    rows = [
        f"| {count:>7,} | baseline: stat walk                  | {walk:7.2f} s | "
        f"{count / walk:9,.0f} | - |",
        f"| {count:>7,} | baseline: mutagen alone, 1 process   | {count / mut:7.2f} s | "
        f"{mut:9,.0f} | - |",
    ]
    labels = {
        "auto": f"tonearm first scan ({statistics.median(readers):.0f} reader(s), chosen)",
        "1": "tonearm first scan, 1 process",
        str(cores): f"tonearm first scan, {cores} readers",
    }
    for mode, times in firsts.items():
        f = statistics.median(times)
        rss = f"{max(first_rss):.0f} MB" if mode == "auto" else "-"
        rows.append(
            f"| {count:>7,} | {labels[mode]:<36} | {f:7.2f} s | {count / f:9,.0f} | {rss} |"
            f" {count / f / mut:.2f}x mutagen"
        )
    rows.append(
        f"| {count:>7,} | tonearm unchanged rescan             | {r:7.2f} s | {count / r:9,.0f} | "
        f"{max(rescan_rss):.0f} MB |"
    )
    rows.append(f"| {count:>7,} | load average before / after: {load_before} / {_load()} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "tonearm-bench")
    args = parser.parse_args()
    rows = []
    for count in args.files:
        rows += bench(count, args.runs, args.dir)
    print(f"scan benchmark, {os.cpu_count()} cores, median of {args.runs} runs (warm disk cache); "
          "target: every first scan at least as fast as mutagen alone")  # fmt: skip
    print("|   files | what                                 |     time  |  files/s  | peak RSS |")
    print("|--------:|--------------------------------------|----------:|----------:|---------:|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
