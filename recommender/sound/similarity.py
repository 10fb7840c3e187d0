"""Sound similarity over the whole library: one float32 matrix of unit vectors, cosine top-k.

The matrix is a derived cache of the `embeddings` table for one model version, loaded once and
queried many times. At 100,000 tracks a query is one matrix-vector product plus a partial sort.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recommender.core.errors import NotFoundError
from recommender.library.query import fold
from recommender.library.store import Store
from recommender.library.tracks import present_paths
from recommender.sound.embeddings import (
    current_model_version,
    embedding_rows,
)

DUPLICATE_COSINE = 0.9995  # vectors this close are one recording (the same file twice, say)
CANDIDATE_FACTOR = 4  # look this many times deeper than asked before filtering
# The library's pair similarities are summarised once: every pair up to this many tracks, a
# fixed random sample of this many rows against as many others beyond it.
CALIBRATION_ROWS = 1500
CALIBRATION_QUANTILES = 20001  # a resolution of 0.005 % of pairs


@dataclass(frozen=True)
class Neighbour:
    """A track that sounds alike: its raw cosine (``score``, what ranks) and where that cosine
    falls among all pairs of the library (``percentile``, 0 to 100, what people read)."""

    track_id: int
    score: float
    percentile: float = float("nan")

    @property
    def closeness(self) -> str:
        return closeness_label(self.percentile)


def closeness_label(percentile: float) -> str:
    """ "top 0.3 %": this pair is closer than all but that share of the library's pairs.

    Raw cosines of one model bunch together (0.84 to 0.999 for `sound-cnn-2`), so a list of
    "0.91, 0.90, 0.89" hides whether the neighbours are close or merely the least unrelated;
    the share of pairs that are closer still tells them apart.
    """
    if not np.isfinite(percentile):
        return "?"
    top = max(100.0 - percentile, 0.0)
    if top < 0.1:
        return "top 0.1 %"
    if top < 1:
        return f"top {top:.1f} %"
    return f"top {top:.0f} %"


def pair_quantiles(matrix: np.ndarray) -> np.ndarray:
    """Quantiles of the cosine over the pairs of distinct rows of ``matrix`` (unit rows).

    Every pair for up to CALIBRATION_ROWS rows; beyond that a fixed random sample of rows
    against other rows, which costs a few milliseconds at any library size.
    """
    n = len(matrix)
    if n < 2:
        sample = np.zeros(1, np.float32)
    elif n <= CALIBRATION_ROWS:
        upper = np.triu_indices(n, k=1)
        sample = (matrix @ matrix.T)[upper]
    else:
        rows = np.random.default_rng(0).permutation(n)[: 2 * CALIBRATION_ROWS]
        left, right = rows[:CALIBRATION_ROWS], rows[CALIBRATION_ROWS:]
        sample = (matrix[left] @ matrix[right].T).ravel()
    levels = np.linspace(0, 1, CALIBRATION_QUANTILES)
    return np.quantile(sample.astype(np.float64), levels)


def percentiles(scores: np.ndarray | float, quantiles: np.ndarray) -> np.ndarray:
    """Where each cosine falls among the pairs ``quantiles`` summarise, 0 to 100."""
    levels = np.linspace(0, 100, len(quantiles))
    return np.interp(np.asarray(scores, np.float64), quantiles, levels)


@dataclass
class SimilarityIndex:
    """Track ids, unit vectors and what deduplication needs (normalised artist and title)."""

    model_version: str
    ids: np.ndarray  # (n,) int64
    matrix: np.ndarray  # (n, dim) float32, rows unit length
    artists: list[str]
    titles: list[str]

    def __post_init__(self) -> None:
        self._row = {int(t): i for i, t in enumerate(self.ids)}
        self._pair_quantiles: np.ndarray | None = None

    def pair_quantiles(self) -> np.ndarray:
        """Quantiles of the cosine over the library's pairs of distinct tracks (cached)."""
        if self._pair_quantiles is None:
            self._pair_quantiles = pair_quantiles(self.matrix)
        return self._pair_quantiles

    def percentiles(self, scores: np.ndarray) -> np.ndarray:
        """Where each cosine in ``scores`` falls among the library's pairs, 0 to 100."""
        return percentiles(scores, self.pair_quantiles())

    def __len__(self) -> int:
        return len(self.ids)

    def row_of(self, track_id: int) -> int:
        try:
            return self._row[track_id]
        except KeyError:
            raise NotFoundError(
                f"track {track_id} has no sound embedding yet (run `tonearm analyze`)"
            ) from None

    def vector(self, track_id: int) -> np.ndarray:
        return self.matrix[self.row_of(track_id)]

    def top_k(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows and cosine scores of the ``k`` best rows for a unit ``query``, best first."""
        scores = self.matrix @ query.astype(np.float32, copy=False)
        k = min(k, len(scores))
        if k <= 0:
            return np.empty(0, np.int64), np.empty(0, np.float32)
        rows = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        rows = rows[np.argsort(-scores[rows], kind="stable")]
        return rows, scores[rows]

    def similar(
        self, track_id: int, n: int = 10, *, max_per_artist: int | None = None
    ) -> list[Neighbour]:
        """Up to ``n`` tracks that sound like ``track_id``: never the seed, one entry per
        recording (same artist and title, or a near-identical vector), at most
        ``max_per_artist`` by one artist."""
        seed_row = self.row_of(track_id)
        seed = self.matrix[seed_row]
        depth = n * CANDIDATE_FACTOR + 16
        while True:
            rows, scores = self.top_k(seed, depth)
            picked = self._filter(seed_row, rows, scores, n, max_per_artist)
            if len(picked) >= n or depth >= len(self):
                break
            depth = min(depth * 4, len(self))
        if not picked:
            return picked
        shares = self.percentiles(np.array([p.score for p in picked]))
        return [
            Neighbour(p.track_id, p.score, float(s)) for p, s in zip(picked, shares, strict=True)
        ]

    def _filter(self, seed_row, rows, scores, n, max_per_artist) -> list[Neighbour]:
        seen_keys = {self._key(seed_row)} if self._key(seed_row) else set()
        per_artist: dict[str, int] = {}
        chosen_rows: list[int] = [seed_row]
        out: list[Neighbour] = []
        for row, score in zip(rows.tolist(), scores.tolist(), strict=True):
            if row == seed_row:
                continue
            key = self._key(row)
            if key and key in seen_keys:
                continue
            if float(np.max(self.matrix[chosen_rows] @ self.matrix[row])) >= DUPLICATE_COSINE:
                continue
            artist = self.artists[row]
            if (
                max_per_artist is not None
                and artist
                and per_artist.get(artist, 0) >= max_per_artist
            ):
                continue
            out.append(Neighbour(int(self.ids[row]), float(score)))
            if len(out) >= n:
                break
            if key:
                seen_keys.add(key)
            if artist:
                per_artist[artist] = per_artist.get(artist, 0) + 1
            chosen_rows.append(row)
        return out

    def _key(self, row: int) -> str:
        """Normalised "artist\\ntitle", or "" when either is unknown (then no key-based dedup)."""
        if not self.artists[row] or not self.titles[row]:
            return ""
        return f"{self.artists[row]}\n{self.titles[row]}"


def _normalise(text: str | None) -> str:
    return " ".join((fold(text) or "").split())


def load_index(store: Store, model_version: str | None = None) -> SimilarityIndex:
    """Read every present track's vector for ``model_version`` into one matrix."""
    version = model_version or current_model_version(store)
    if version is None:
        raise NotFoundError("no sound embeddings yet: run `tonearm analyze` first")
    rows = embedding_rows(store, version)
    if not rows:
        raise NotFoundError(f"no sound embeddings for model {version}: run `tonearm analyze`")
    dim = rows[0][1]
    matrix = np.empty((len(rows), dim), dtype=np.float32)
    for i, row in enumerate(rows):
        matrix[i] = np.frombuffer(row[2], dtype="<f4", count=dim)
    return SimilarityIndex(
        model_version=version,
        ids=np.array([r[0] for r in rows], dtype=np.int64),
        matrix=matrix,
        artists=[_normalise(r[3]) for r in rows],
        titles=[_normalise(r[4]) for r in rows],
    )


def export_rows(
    store: Store, model_version: str | None = None
) -> tuple[list[int], list[str], np.ndarray]:
    """(ids, paths, vectors) of every embedded present track, for `tonearm export embeddings`."""
    index = load_index(store, model_version)
    paths = present_paths(store)
    ids = [int(t) for t in index.ids]
    return ids, [paths[t] for t in ids], index.matrix
