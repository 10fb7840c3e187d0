"""A map of the library's sound: every analysed track placed in 2-D, and a grid to find points.

The projection is PCA of the unit sound vectors (the two directions of most variance). It is
the same from one run to the next: rows are in track-id order, the covariance is summed in
float64, and each axis's sign is fixed so that its largest loading is positive (an eigen-solver
may return either sign). Colours come from the mixes (`discovery.mixes`) or the genre tag.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from recommender.discovery.taste_model import TasteModel
from recommender.library.store import Store

EDGE_PERCENTILE = 99.9
"""Coordinates are scaled so that this percentile of |x| and |y| lands on ±1; the few beyond are
clipped to the edge, so one outlier cannot shrink the map to a dot."""
MAX_GENRES = 11
"""Genres with a colour of their own; the rest share "Other"."""
POINTS_PER_CELL = 4


@dataclass
class SoundMap:
    """Points in [-1, 1]², one per analysed present track, in track-id order."""

    track_ids: np.ndarray  # int64
    xy: np.ndarray  # float32 (n, 2); y grows upwards
    explained: tuple[float, float] = (0.0, 0.0)  # share of the variance along x and y
    labels: list[str] = field(default_factory=list)  # "Artist – Title" per point
    mix_of: np.ndarray | None = None  # int64 per point: index into mix_names, -1 for none
    mix_names: list[str] = field(default_factory=list)
    genre_of: np.ndarray | None = None  # int64 per point: index into genre_names, -1 other
    genre_names: list[str] = field(default_factory=list)
    model_version: str | None = None

    def __len__(self) -> int:
        return len(self.track_ids)


def _fix_signs(components: np.ndarray) -> np.ndarray:
    """Flip each component (a row) so that its largest-magnitude entry is positive."""
    biggest = np.argmax(np.abs(components), axis=1)
    signs = np.sign(components[np.arange(len(components)), biggest])
    signs[signs == 0] = 1.0
    return components * signs[:, None]


def pca_components(vectors: np.ndarray, k: int = 2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean, components (k, dim) with fixed signs, share of variance of each component)."""
    x = np.asarray(vectors, dtype=np.float64)
    mean = x.mean(axis=0) if len(x) else np.zeros(x.shape[1] if x.ndim == 2 else 0)
    return (mean, *_components(x - mean, k))


def _components(centred: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    n, dim = centred.shape if centred.ndim == 2 else (0, 0)
    if n < 2 or dim == 0:
        return np.eye(k, max(dim, k))[:, :dim], np.zeros(k)
    values, vecs = np.linalg.eigh(centred.T @ centred / n)  # ascending
    order = np.argsort(-values, kind="stable")[:k]
    components = _fix_signs(vecs[:, order].T)
    total = float(values.sum())
    share = values[order] / total if total > 0 else np.zeros(len(order))
    if len(order) < k:  # fewer dimensions than axes: the missing axes stay at zero
        components = np.vstack([components, np.zeros((k - len(order), dim))])
        share = np.concatenate([share, np.zeros(k - len(order))])
    return components, np.clip(share, 0.0, 1.0)


def project_2d(vectors: np.ndarray) -> tuple[np.ndarray, tuple[float, float]]:
    """Points in [-1, 1]² (float32) and the share of the variance each axis shows."""
    if len(vectors) == 0:
        return np.zeros((0, 2), np.float32), (0.0, 0.0)
    centred = np.asarray(vectors, dtype=np.float64)
    centred = centred - centred.mean(axis=0)
    components, share = _components(centred, 2)
    xy = centred @ components.T
    scale = float(np.percentile(np.abs(xy), EDGE_PERCENTILE)) if len(xy) > 1 else 0.0
    if scale > 0:
        xy = np.clip(xy / scale, -1.0, 1.0)
    return xy.astype(np.float32), (float(share[0]), float(share[1]))


def build_sound_map(
    model: TasteModel, artists: list[str], titles: list[str], *, with_mixes: bool = True
) -> SoundMap:
    """The map of every row of `model` that has a sound vector; `artists` and `titles` are
    display names by model row."""
    if model.vectors is None or not model.has_vector.any():
        return SoundMap(np.zeros(0, np.int64), np.zeros((0, 2), np.float32))
    rows = np.flatnonzero(model.has_vector)
    xy, explained = project_2d(model.vectors[rows])
    counts = Counter(model.genres[r] for r in rows.tolist() if model.genres[r])
    top = [g for g, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_GENRES]]
    code = {g: i for i, g in enumerate(top)}
    genre_of = np.array([code.get(model.genres[r], -1) for r in rows.tolist()], dtype=np.int64)
    mix_of, mix_names = None, []
    if with_mixes:
        from recommender.discovery.mixes import assign_mixes

        mixes, by_row = assign_mixes(model, artists)
        mix_of, mix_names = by_row[rows], [m.name for m in mixes]
    return SoundMap(
        track_ids=model.track_ids[rows].astype(np.int64),
        xy=xy,
        explained=explained,
        labels=[f"{artists[r]} – {titles[r]}" if artists[r] else titles[r] for r in rows.tolist()],
        mix_of=mix_of,
        mix_names=mix_names,
        genre_of=genre_of,
        genre_names=[g.title() for g in top],
        model_version=model.model_version,
    )


def load_sound_map(
    store: Store, *, with_mixes: bool = True, model: TasteModel | None = None
) -> SoundMap:
    """Build the map from `model` (the caller's kept one), else from a fresh read of the
    library and its current embeddings (seconds at 100,000)."""
    if model is None:
        from recommender.discovery.taste_model import load_taste_model

        model = load_taste_model(store)
    from recommender.discovery.library_mixes import display_names

    artists, titles = display_names(store, model)
    return build_sound_map(model, artists, titles, with_mixes=with_mixes)


class PointGrid:
    """Points bucketed into a square grid, so a hover or a click looks at a few cells, not at
    every point. Rows of cells are contiguous in `order`, so a rectangle is one slice a row."""

    def __init__(self, xy: np.ndarray) -> None:
        self.xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        n = len(self.xy)
        self.side = max(1, int(np.sqrt(n / POINTS_PER_CELL)))
        if n:
            self.lo = self.xy.min(axis=0)
            span = float((self.xy.max(axis=0) - self.lo).max())
        else:
            self.lo, span = np.zeros(2), 1.0
        self.cell = span / self.side if span > 0 else 1.0
        cx, cy = self._cells(self.xy[:, 0], self.xy[:, 1])
        key = cy * self.side + cx
        self.order = np.argsort(key, kind="stable")
        self.starts = np.searchsorted(key[self.order], np.arange(self.side * self.side + 1))

    def _cells(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        cx = np.clip(((np.asarray(x) - self.lo[0]) / self.cell).astype(np.int64), 0, self.side - 1)
        cy = np.clip(((np.asarray(y) - self.lo[1]) / self.cell).astype(np.int64), 0, self.side - 1)
        return cx, cy

    def _candidates(self, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
        (cx0, cx1), (cy0, cy1) = self._cells([x0, x1], [y0, y1])
        side = self.side
        parts = [
            self.order[self.starts[cy * side + cx0] : self.starts[cy * side + cx1 + 1]]
            for cy in range(int(cy0), int(cy1) + 1)
        ]
        return np.concatenate(parts) if parts else np.zeros(0, np.int64)

    def nearest(self, x: float, y: float, radius: float) -> int | None:
        """Index of the point nearest (x, y) within `radius`, or None."""
        if not len(self.xy):
            return None
        cand = self._candidates(x - radius, y - radius, x + radius, y + radius)
        if not len(cand):
            return None
        d2 = ((self.xy[cand] - (x, y)) ** 2).sum(axis=1)
        best = int(np.argmin(d2))
        return int(cand[best]) if d2[best] <= radius * radius else None

    def inside(self, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
        """Indices (ascending) of the points in the rectangle, edges included."""
        x0, x1 = min(x0, x1), max(x0, x1)
        y0, y1 = min(y0, y1), max(y0, y1)
        if not len(self.xy):
            return np.zeros(0, np.int64)
        cand = self._candidates(x0, y0, x1, y1)
        p = self.xy[cand]
        keep = (p[:, 0] >= x0) & (p[:, 0] <= x1) & (p[:, 1] >= y0) & (p[:, 1] <= y1)
        return np.sort(cand[keep])
