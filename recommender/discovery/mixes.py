"""Mixes: the library grouped into a handful of named clusters of sound and listening history.

Each track gets one vector: its sound embedding (where there is one) beside a short "history"
vector (a truncated SVD of the item-CF neighbour matrix). Seeded k-means groups them; a mix is
named by its dominant genre and artists. Same data, same mixes: the seed, the initialisation and
the order of the output are all fixed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from recommender.discovery.taste_model import TasteModel

MIX_COUNT = 6
HISTORY_DIM = 16
KMEANS_ITERATIONS = 25
KMEANS_SEED = 20240601
MIX_TRACKS = 50
"""Tracks listed in a mix: the ones nearest its centre, at most MAX_PER_ARTIST_IN_MIX each."""
MAX_PER_ARTIST_IN_MIX = 4


@dataclass(frozen=True)
class Mix:
    name: str
    size: int
    rows: tuple[int, ...]  # the mix's tracks, nearest the centre first (capped, diverse)
    top_artists: tuple[str, ...]
    top_genres: tuple[str, ...]


def history_vectors(model: TasteModel, dim: int = HISTORY_DIM) -> np.ndarray | None:
    """Rows of a randomized truncated SVD of the symmetrised neighbour matrix (None if empty)."""
    s = model.neighbours.matrix
    if s.nnz == 0:
        return None
    s = (s + s.T).tocsr().astype(np.float32)
    rng = np.random.default_rng(KMEANS_SEED)
    k = min(dim, s.shape[0] - 1)
    if k < 2:
        return None
    q = np.linalg.qr(s @ rng.normal(size=(s.shape[0], k + 8)).astype(np.float32))[0]
    for _ in range(2):
        q = np.linalg.qr(s @ q)[0]
    b = (s.T @ q).T  # s is symmetric: this is q.T @ s
    u, sigma, _ = np.linalg.svd(b, full_matrices=False)
    vec = (q @ u[:, :k]) * sigma[:k]
    norms = np.linalg.norm(vec, axis=1, keepdims=True)
    return np.divide(vec, norms, out=np.zeros_like(vec), where=norms > 0).astype(np.float32)


def _kmeans(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded k-means++ then Lloyd iterations; labels renumbered by cluster size (stable)."""
    rng = np.random.default_rng(KMEANS_SEED)
    centres = [x[int(rng.integers(len(x)))]]
    dist = ((x - centres[0]) ** 2).sum(axis=1)
    for _ in range(1, k):
        probs = dist / dist.sum() if dist.sum() > 0 else None
        centres.append(x[int(rng.choice(len(x), p=probs))])
        dist = np.minimum(dist, ((x - centres[-1]) ** 2).sum(axis=1))
    c = np.array(centres)
    labels = np.zeros(len(x), dtype=np.int64)
    for _ in range(KMEANS_ITERATIONS):
        d = (x**2).sum(1)[:, None] - 2 * x @ c.T + (c**2).sum(1)[None, :]
        new = d.argmin(axis=1)
        if np.array_equal(new, labels) and _ > 0:
            break
        labels = new
        for j in range(k):
            members = x[labels == j]
            if len(members):
                c[j] = members.mean(axis=0)
    sizes = np.bincount(labels, minlength=k)
    order = np.lexsort((np.arange(k), -sizes))
    remap = np.empty(k, dtype=np.int64)
    remap[order] = np.arange(k)
    return remap[labels], c[order]


def build_mixes(model: TasteModel, artists: list[str], k: int = MIX_COUNT) -> list[Mix]:
    """Up to `k` mixes over the tracks that have sound or history; `artists` are display names
    by row (the model keeps only normalised ones)."""
    return assign_mixes(model, artists, k)[0]


def assign_mixes(
    model: TasteModel, artists: list[str], k: int = MIX_COUNT
) -> tuple[list[Mix], np.ndarray]:
    """The mixes and, for every model row, the index of its mix in that list (-1: in none), so
    a view can colour the whole library by mix, not only each mix's listed tracks."""
    labels_out = np.full(model.n_tracks, -1, dtype=np.int64)
    parts, known = [], np.zeros(model.n_tracks, bool)
    if model.vectors is not None:
        parts.append(model.vectors)
        known |= model.has_vector
    hist = history_vectors(model)
    if hist is not None:
        parts.append(hist)
        known |= np.linalg.norm(hist, axis=1) > 0
    if not parts:  # nothing learned yet: group by genre tag
        return _genre_mixes(model, artists, k, labels_out)
    rows = np.flatnonzero(known)
    if len(rows) < k:
        return [], labels_out
    x = np.hstack([p[rows] for p in parts]).astype(np.float64)
    labels, centres = _kmeans(x, k)
    mixes: list[Mix] = []
    for j in range(k):
        members = rows[labels == j]
        if not len(members):
            continue
        labels_out[members] = len(mixes)
        dist = ((x[labels == j] - centres[j]) ** 2).sum(axis=1)
        ordered = members[np.argsort(dist, kind="stable")]
        mixes.append(_named(model, artists, ordered))
    return mixes, labels_out


def _genre_mixes(
    model: TasteModel, artists: list[str], k: int, labels_out: np.ndarray
) -> tuple[list[Mix], np.ndarray]:
    counts = Counter(g for g in model.genres if g)
    mixes: list[Mix] = []
    for genre, _ in counts.most_common(k):
        members = np.array([i for i, g in enumerate(model.genres) if g == genre])
        labels_out[members] = len(mixes)
        mixes.append(_named(model, artists, members))
    return mixes, labels_out


def _named(model: TasteModel, artists: list[str], ordered: np.ndarray) -> Mix:
    top_artists = tuple(
        a for a, _ in Counter(artists[r] for r in ordered if artists[r]).most_common(3)
    )
    top_genres = tuple(
        g.title()
        for g, _ in Counter(model.genres[r] for r in ordered if model.genres[r]).most_common(2)
    )
    head = " / ".join(top_genres) if top_genres else "Mix"
    name = f"{head}: {', '.join(top_artists[:2])} and more" if top_artists else head
    per_artist: Counter[int] = Counter()
    picked = []
    for r in ordered.tolist():
        a = int(model.artist_code[r])
        if a >= 0 and per_artist[a] >= MAX_PER_ARTIST_IN_MIX:
            continue
        per_artist[a] += 1
        picked.append(r)
        if len(picked) >= MIX_TRACKS:
            break
    return Mix(name, len(ordered), tuple(picked), top_artists, top_genres)
