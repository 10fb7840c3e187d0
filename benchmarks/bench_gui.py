"""Desktop app speed on a generated 100,000-track library (offscreen, no audio files needed).

    python benchmarks/bench_gui.py [--tracks 100000] [--runs 3]

Each start-up is a fresh process. Measured:
- start-up: with the column cache (every start after the first) and without it (the first);
  from just after the imports (and from process launch) to the window shown with the
  first library rows painted; baseline: an empty QMainWindow + QTableView shown and painted;
- typing a filter, one character at a time: keystroke to the table repainted with the new rows
  (includes the search debounce); baseline: the same query through SQL (`find_tracks`);
- scrolling: a jump to a random place in the table and the repaint;
- resident memory after load and typing;
- the gap between two tracks with the next one pre-loaded, and without (baseline).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TYPED = "night blue"
SCROLL_JUMPS = 40


def _child_env() -> dict[str, str]:
    paths = [str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=os.pathsep.join(paths))
    env.pop("TONEARM_HOME", None)
    return env


def _run_child(mode: str, data_dir: Path) -> dict:
    (data_dir / "window.ini").unlink(missing_ok=True)  # every run starts unsorted
    launched = time.time()
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(data_dir), str(launched)],
        capture_output=True, text=True, env=_child_env(), timeout=300,
    )  # fmt: skip
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        raise SystemExit(f"child {mode} failed:\n{out.stdout}\n{out.stderr[-3000:]}")
    return json.loads(lines[-1])


def _rss_bytes() -> int:
    """This process's resident memory, from /proc (psutil is not in the environment)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


# --- child processes -----------------------------------------------------------------------
def child_app(data_dir: Path, launched: float) -> dict:
    from PySide6.QtCore import QEvent, QEventLoop, QObject, Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from player.shell.main_window import MainWindow
    from recommender.core.settings import Settings
    from recommender.library.columns import LibraryFilter
    from recommender.library.store import open_store

    t0 = time.perf_counter()
    t0_wall = time.time()
    app = QApplication([])
    store = open_store(data_dir)
    window = MainWindow(data_dir, Settings.load(data_dir), store)
    painted: list[float] = []

    class PaintSpy(QObject):
        def eventFilter(self, obj, event) -> bool:
            if event.type() == QEvent.Type.Paint and window.model.rowCount() > 0:
                painted.append(time.perf_counter())
            return False

    spy = PaintSpy()
    window.table.viewport().installEventFilter(spy)
    enriched: list[float] = []
    window.libraryLoaded.connect(lambda _n: enriched.append(time.perf_counter()))
    window.show()
    window.start(first_run_dialog=False, startup_scan=False)
    shown = time.perf_counter()
    # the real event loop until the first rows are painted (a busy processEvents loop would
    # compete for the GIL with the loading worker and slow it down)
    loop = QEventLoop()
    quitter = QTimer()
    quitter.setInterval(1)
    quitter.timeout.connect(lambda: painted and loop.quit())
    quitter.start()
    loop.exec()
    quitter.stop()
    first_paint = painted[0]
    rss_loaded = _rss_bytes()

    def wait_repaint(since: float, timeout_s: float = 5.0) -> float:
        end = time.perf_counter() + timeout_s
        while time.perf_counter() < end:
            app.processEvents()
            if painted and painted[-1] > since:
                return painted[-1]
            time.sleep(0.0005)
        raise RuntimeError("no repaint")

    while not enriched:  # play counts and search strings (phase two) before typing
        loop.processEvents()
        time.sleep(0.001)

    # typing: each keystroke until the table has repainted with the filtered rows
    window.search.setFocus()
    key_ms: list[float] = []
    compute_ms: list[float] = []
    for _round in range(3):
        window.search.clear()
        app.processEvents()
        wait_repaint(0)
        for i, ch in enumerate(TYPED):
            applied: list[float] = []
            conn = window.filterApplied.connect(
                lambda _n, out=applied: out.append(time.perf_counter())
            )
            start = time.perf_counter()
            QTest.keyClick(window.search, ch)
            while not applied:
                app.processEvents()
                time.sleep(0.0005)
            done = wait_repaint(applied[0])
            window.filterApplied.disconnect(conn)
            key_ms.append((done - start) * 1000)
            t = time.perf_counter()
            LibraryFilter(window.columns).mask(TYPED[: i + 1])  # no reuse of the last result
            compute_ms.append((time.perf_counter() - t) * 1000)
    rows_after = window.model.rowCount()

    # scrolling through the whole library
    window.search.clear()
    window.apply_search()
    app.processEvents()
    bar = window.table.verticalScrollBar()
    import random

    rnd = random.Random(1)
    scroll_ms: list[float] = []
    for _ in range(SCROLL_JUMPS):
        start = time.perf_counter()
        bar.setValue(rnd.randrange(bar.maximum()))
        wait_repaint(start)
        scroll_ms.append((time.perf_counter() - start) * 1000)

    # sorting by a column not yet sorted
    start = time.perf_counter()
    window.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    wait_repaint(start)
    sort_ms = (time.perf_counter() - start) * 1000
    assert window.model.sort_key == "title", window.model.sort_key

    rss_end = _rss_bytes()
    window.shutdown()
    return {
        "rows": window.model.rowCount(),
        "rows_night_blue": rows_after,
        "imports_s": t0_wall - launched,
        "startup_s": first_paint - t0,
        "shown_s": shown - t0,
        "enriched_s": enriched[0] - t0,
        "launch_to_paint_s": first_paint - t0 + (t0_wall - launched),
        "key_ms": key_ms,
        "filter_compute_ms": compute_ms,
        "scroll_ms": scroll_ms,
        "sort_title_ms": sort_ms,
        "rss_loaded_mb": rss_loaded / 2**20,
        "rss_end_mb": rss_end / 2**20,
    }


def child_baseline(data_dir: Path, launched: float) -> dict:
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtGui import QStandardItemModel
    from PySide6.QtWidgets import QApplication, QMainWindow, QTableView

    t0 = time.perf_counter()
    t0_wall = time.time()
    app = QApplication([])
    window = QMainWindow()
    table = QTableView()
    model = QStandardItemModel(3, 3)
    table.setModel(model)
    window.setCentralWidget(table)
    painted: list[float] = []

    class PaintSpy(QObject):
        def eventFilter(self, obj, event) -> bool:
            if event.type() == QEvent.Type.Paint:
                painted.append(time.perf_counter())
            return False

    spy = PaintSpy()
    table.viewport().installEventFilter(spy)
    window.resize(1280, 800)
    window.show()
    while not painted:
        app.processEvents()
    return {
        "startup_s": painted[0] - t0,
        "launch_to_paint_s": painted[0] - t0 + (t0_wall - launched),
        "rss_mb": _rss_bytes() / 2**20,
    }


def child_gap(data_dir: Path, launched: float) -> dict:
    """Two 3 s tones back to back, with and without pre-loading the second."""
    from PySide6.QtWidgets import QApplication

    import player.playback.decks as playback_mod
    from player.playback.decks import Playback
    from recommender.library.store import open_store
    from recommender.library.tracks import get_track
    from tests.audio_factory import write_audio
    from tests.library_factory import insert_file

    app = QApplication([])
    music = data_dir / "gap-tones"
    store = open_store(data_dir)
    ids = []
    for i in range(2):
        path = write_audio(music / f"tone{i}.ogg", seconds=3.0, freq=300 + 100 * i)
        ids.append(insert_file(store, path, duration=3.0, title=f"tone {i}"))
    tracks = [get_track(store, t) for t in ids]
    result = {}
    for label, preload_ms in (("preloaded", 8000), ("no_preload", -1)):
        gaps = []
        for _ in range(3):
            playback_mod.PRELOAD_BEFORE_END_MS = preload_ms
            pb = Playback()
            queue = [tracks[1]]
            pb.next_track = lambda q=queue: (q.pop(), "queue") if q else None
            pb.peek_next = lambda q=queue: q[0] if q else None
            pb.play_track(tracks[0], "queue")
            end = time.perf_counter() + 15
            while pb.last_gap_ms is None and time.perf_counter() < end:
                app.processEvents()
                time.sleep(0.001)
            gaps.append(pb.last_gap_ms if pb.last_gap_ms is not None else float("nan"))
            pb.shutdown()
            pb.deleteLater()
            app.processEvents()
        result[label] = gaps
    return result


# --- parent --------------------------------------------------------------------------------
def build_library(data_dir: Path, n_tracks: int) -> float:
    from recommender.library.store import open_store
    from tests.library_factory import insert_library

    start = time.perf_counter()
    with open_store(data_dir) as store:
        insert_library(store, n_tracks, plays=n_tracks)
    return time.perf_counter() - start


def baseline_sql_filter(data_dir: Path) -> list[float]:
    from recommender.library.store import open_store
    from recommender.library.tracks import find_tracks

    out = []
    with open_store(data_dir) as store:
        for i in range(len(TYPED)):
            start = time.perf_counter()
            find_tracks(store, TYPED[: i + 1])
            out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", nargs=3, metavar=("MODE", "DATA", "LAUNCHED"))
    args = parser.parse_args()
    if args.child:
        mode, data, launched = args.child
        fn = {"app": child_app, "baseline": child_baseline, "gap": child_gap}[mode]
        print(json.dumps(fn(Path(data), float(launched))))
        return 0

    med = statistics.median
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="tonearm-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        built = build_library(data_dir, args.tracks)
        print(f"library: {args.tracks:,} generated tracks, {args.tracks:,} plays ({built:.1f} s)")
        from recommender.library.columns import CACHE_FILE

        cold = []
        for _ in range(args.runs):
            (data_dir / CACHE_FILE).unlink(missing_ok=True)
            cold.append(_run_child("app", data_dir))
        apps = [_run_child("app", data_dir) for _ in range(args.runs)]
        bases = [_run_child("baseline", data_dir) for _ in range(args.runs)]
        sql_ms = baseline_sql_filter(data_dir)
        gap_dir = Path(tmp) / "gap"
        gap_dir.mkdir()
        gap = _run_child("gap", gap_dir)

    keys = [k for a in apps for k in a["key_ms"]]
    compute = [k for a in apps for k in a["filter_compute_ms"]]
    scroll = [k for a in apps for k in a["scroll_ms"]]
    rows = [
        ("start-up: window shown + first rows painted (after imports)",
         f"{med(a['startup_s'] for a in apps):.3f} s",
         f"{med(b['startup_s'] for b in bases):.3f} s empty window", "< 1.0 s"),
        ("  same, first start (no column cache yet: all rows from SQL)",
         f"{med(a['startup_s'] for a in cold):.3f} s", "", "< 1.0 s"),
        ("  of which window shown (library loads in a worker)",
         f"{med(a['shown_s'] for a in apps):.3f} s", "", ""),
        ("  play counts and search index ready (second phase)",
         f"{med(a['enriched_s'] for a in apps):.3f} s", "", ""),
        ("  process launch to first rows (imports included)",
         f"{med(a['launch_to_paint_s'] for a in apps):.3f} s",
         f"{med(b['launch_to_paint_s'] for b in bases):.3f} s empty window", "< 1.0 s"),
        ("typing a filter character: key to repainted view (median)",
         f"{med(keys):.1f} ms", f"{med(sql_ms):.1f} ms SQL find_tracks", "< 50 ms"),
        ("  same, worst keystroke", f"{max(keys):.1f} ms", f"{max(sql_ms):.1f} ms", ""),
        ("  filter computation alone (median / worst)",
         f"{med(compute):.1f} / {max(compute):.1f} ms", "", ""),
        ("scroll jump + repaint (median / worst)",
         f"{med(scroll):.1f} / {max(scroll):.1f} ms", "", ""),
        ("first sort by title (rank + repaint)",
         f"{med(a['sort_title_ms'] for a in apps):.0f} ms", "", ""),
        ("resident memory after load / after typing+scroll",
         f"{med(a['rss_loaded_mb'] for a in apps):.0f} / "
         f"{med(a['rss_end_mb'] for a in apps):.0f} MB",
         f"{med(b['rss_mb'] for b in bases):.0f} MB empty window", "< 350 MB"),
        ("gap between tracks, next pre-loaded (median of 3)",
         f"{med(gap['preloaded']):.0f} ms", f"{med(gap['no_preload']):.0f} ms not pre-loaded", ""),
    ]  # fmt: skip
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'tonearm':>16}  {'baseline':>30}  target")
    for name, value, base, target in rows:
        print(f"{name:<{width}}  {value:>16}  {base:>30}  {target}")
    print(
        f"({args.runs} runs each; rows shown after typing '{TYPED}': {apps[0]['rows_night_blue']})"
    )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
