"""Sound map speed at 100,000 points (offscreen; synthetic clustered embeddings, no store).

    python benchmarks/bench_sound_map.py [--points 100000] [--runs 7]

Measured (median of the runs):
- projection: PCA of the unit vectors to 2-D (`recommender.discovery.sound_map.project_2d`);
- grid build: bucketing the points for hit tests;
- dot layer: every dot drawn into the cached pixmap, one drawPoints per colour batch (done on a
  resize or a change of colouring); baselines: the same dots as a 1-px pen stamped at four
  offsets, and as antialiased round 5-px dots (what small maps use);
- paint: a full paintEvent with the layer cached (what a hover or a rubber-band move costs);
- hover hit test: the nearest point within 6 px, per query; baseline: a numpy scan of all points;
- rubber band: the points inside a rectangle a quarter of the map wide.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
DIM = 64
GROUPS = 6
QUERIES = 2000


def _median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtGui import QImage, QPainter, QPen
    from PySide6.QtWidgets import QApplication

    import player  # noqa: F401  (the shiboken6 guard, before any Qt call)
    from player.discovery.sound_map import SoundMapCanvas, polygon_of
    from recommender.discovery.sound_map import PointGrid, project_2d

    app = QApplication(sys.argv[:1])
    rng = np.random.default_rng(0)
    n = args.points
    centres = rng.normal(size=(GROUPS, DIM)) * 2
    labels = rng.integers(0, GROUPS, n)
    vectors = (centres[labels] + rng.normal(size=(n, DIM))).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)

    rows: list[tuple[str, float, str]] = []
    project_ms = _median_ms(lambda: project_2d(vectors), max(3, args.runs // 2))
    xy, _ = project_2d(vectors)
    rows.append(("projection (PCA to 2-D)", project_ms, ""))
    rows.append(("grid build", _median_ms(lambda: PointGrid(xy), args.runs), ""))

    canvas = SoundMapCanvas()
    canvas.resize(1100, 720)
    canvas.set_points(xy, [f"Track {i}" for i in range(n)])
    canvas.set_groups(labels, [f"Mix {g}" for g in range(GROUPS)])
    layer_ms = _median_ms(canvas.render_layer, args.runs)

    px = canvas.to_widget(xy)

    def other_dots(round_dots: bool) -> None:
        image = QImage(canvas.size(), QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(0)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, round_dots)
        for g in range(GROUPS):
            polygon = polygon_of(px[labels == g])
            if round_dots:
                painter.setPen(
                    QPen(Qt.GlobalColor.red, 5.0, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
                )
                painter.drawPoints(polygon)
                continue
            painter.setPen(QPen(Qt.GlobalColor.red, 0))
            for dx, dy in ((0, 0), (1, 0), (0, 1), (1, 1)):
                painter.translate(dx, dy)
                painter.drawPoints(polygon)
                painter.translate(-dx, -dy)
        painter.end()

    stamped = _median_ms(lambda: other_dots(False), 3)
    rounded = _median_ms(lambda: other_dots(True), 3)
    note = f"1-px ×4 {stamped:.0f} ms, round AA {rounded:.0f} ms"
    rows.append(("dot layer (drawPoints per colour)", layer_ms, note))
    image = QImage(canvas.size(), QImage.Format.Format_ARGB32_Premultiplied)
    canvas.grab()  # builds the cached layer

    def paint() -> None:
        canvas.hover = int(rng.integers(n))
        canvas.render(image)

    rows.append(("paint, layer cached (hover)", _median_ms(paint, args.runs), ""))

    queries = [QPointF(*p) for p in rng.uniform(20, 700, size=(QUERIES, 2))]

    def hover() -> None:
        for q in queries:
            canvas.point_at(q)

    grid_us = _median_ms(hover, args.runs) * 1000 / QUERIES
    s = canvas._scale()[0]

    def scan() -> None:
        for q in queries[:200]:
            x, y = canvas.to_data(q.x(), q.y())
            d = (xy[:, 0] - x) ** 2 + (xy[:, 1] - y) ** 2
            i = int(np.argmin(d))
            _ = d[i] <= (6 / s) ** 2

    scan_us = _median_ms(scan, 3) * 1000 / 200
    rows.append(("hover hit test (per query)", grid_us / 1000, f"full scan {scan_us:.0f} µs"))
    grid = canvas.grid
    inside = len(grid.inside(-0.5, -0.5, 0.5, 0.5))
    band_ms = _median_ms(lambda: grid.inside(-0.5, -0.5, 0.5, 0.5), args.runs)
    rows.append(("rubber band (points inside)", band_ms, f"{inside:,} points"))

    print(f"Sound map, {n:,} points, {DIM}-d vectors, {GROUPS} colours, median of {args.runs}")
    print(f"{'step':<36} {'time':>12}  baseline / note")
    for name, ms, note in rows:
        shown = f"{ms * 1000:.1f} µs" if ms < 1 else f"{ms:.1f} ms"
        print(f"{name:<36} {shown:>12}  {note}")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
