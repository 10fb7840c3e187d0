"""Item-based collaborative filtering over the play history, with scipy.sparse.

Listening sessions (plays split at gaps over `SESSION_GAP_S`) are the "users" of classic
item-based CF: two tracks are similar when the same sessions play them. A completed play
counts for a track, a skip against it, and old plays fade with a half-life. Similarity is
cosine or Pearson correlation, shrunk towards zero for pairs seen together in few sessions,
and only the top `k` neighbours of each track are kept. The result is a derived cache: rebuilt
from the plays in a few seconds even at a million plays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from recommender.core.errors import UsageError

SESSION_GAP_S = 1800.0
"""A pause longer than this (30 minutes) starts a new listening session."""
MAX_SESSION_PLAYS = 50
"""A session also ends after this many plays (about three hours of music). A history with no
pauses (a player left on for days, an import without gaps) would otherwise be one "user" whose
every pair of tracks co-occurs: quadratic memory, and no signal in it."""
HALF_LIFE_S = 180 * 86400.0
"""A play this old (about six months) weighs half as much as one today."""
COMPLETED_WEIGHT = 1.0
PARTIAL_WEIGHT = 0.5
"""Stopped after the skip threshold but before the end: liked, less surely."""
SKIP_WEIGHT = -1.0
MAX_CELL_WEIGHT = 3.0
"""Cap on one track's weight in one session, so one song on repeat does not dominate."""
SHRINKAGE = 5.0
"""Similarity of a pair seen together in n sessions is multiplied by n / (n + SHRINKAGE)."""
NEIGHBOURS_K = 50
METHODS = ("cosine", "pearson")
COUNT_CHANNEL = 2.0
"""Imaginary part given to every play in the one complex product: the product's real part is
then cosine - 4 x sessions-together, and a cosine lies in [-1, 1], so both come back exact."""
BLOCK_PAIRS = 1 << 20
"""Items are scored in blocks of about this many (item, session-mate) pairs: arrays that stay
in the processor's cache and are reused, instead of gigabyte-sized temporaries."""
ROUNDING_PER_SESSION = 1e-14
"""The complex product's rounding, at most about 1e-15 for each session a pair shares: a
similarity under this times n_ij is what is left of a pair that cancels (a play and a skip)."""


@dataclass(frozen=True)
class PlayArrays:
    """The play history as parallel arrays; `item` is a row in the caller's track table."""

    item: np.ndarray  # int32 rows
    started_at: np.ndarray  # float64 seconds
    completed: np.ndarray  # bool
    skipped: np.ndarray  # bool
    user: np.ndarray | None = None  # int32, only for multi-listener data (evaluation)
    seconds: np.ndarray | None = None  # seconds played; without it gaps run start to start
    time_ordered: bool = False  # True when started_at is known to be non-decreasing

    def __len__(self) -> int:
        return len(self.item)

    def subset(self, mask: np.ndarray) -> PlayArrays:
        return PlayArrays(
            self.item[mask],
            self.started_at[mask],
            self.completed[mask],
            self.skipped[mask],
            None if self.user is None else self.user[mask],
            None if self.seconds is None else self.seconds[mask],
        )


def session_ids(plays: PlayArrays, gap_s: float = SESSION_GAP_S) -> tuple[np.ndarray, np.ndarray]:
    """(order, session) where plays[order] are sorted by listener and time, numbered by session.

    The gap is from the end of one play to the start of the next (start to start when the
    seconds played are unknown)."""
    if plays.user is None:
        order = np.argsort(plays.started_at, kind="stable")
    else:
        order = np.lexsort((plays.started_at, plays.user))
    starts = plays.started_at[order]
    ends = starts + (0.0 if plays.seconds is None else plays.seconds[order])
    new = (starts[1:] - ends[:-1]) > gap_s
    if plays.user is not None:
        new |= np.diff(plays.user[order]) != 0
    session = np.concatenate(([0], np.cumsum(new)))
    first = np.searchsorted(session, session)  # index of each play's session start
    position = np.arange(len(session)) - first
    breaks = np.concatenate(([False], new)) | ((position > 0) & (position % MAX_SESSION_PLAYS == 0))
    return order, np.cumsum(breaks).astype(np.int32)


def play_weights(plays: PlayArrays, now: float, half_life_s: float = HALF_LIFE_S) -> np.ndarray:
    """For (completed), against (skipped), half for the rest; times the recency decay."""
    base = np.where(plays.completed, COMPLETED_WEIGHT, PARTIAL_WEIGHT)
    base = np.where(plays.skipped, SKIP_WEIGHT, base)
    age = np.maximum(now - plays.started_at, 0.0)
    return (base * np.exp2(-age / half_life_s)).astype(np.float32)


def session_matrix(
    plays: PlayArrays, n_items: int, *, now: float | None = None, half_life_s: float = HALF_LIFE_S
) -> sp.csr_matrix:
    """Sessions x items matrix of summed, capped play weights."""
    if len(plays) == 0:
        return sp.csr_matrix((0, n_items), dtype=np.float32)
    now = float(plays.started_at.max()) if now is None else now
    order, session = session_ids(plays)
    weights = play_weights(plays, now, half_life_s)[order]
    matrix = sp.csr_matrix(
        (weights, (session, plays.item[order])), shape=(int(session[-1]) + 1, n_items)
    )
    matrix.sum_duplicates()
    np.clip(matrix.data, -MAX_CELL_WEIGHT, MAX_CELL_WEIGHT, out=matrix.data)
    matrix.eliminate_zeros()
    return matrix


@dataclass
class ItemNeighbours:
    """Top-k similar items per item as a CSR matrix (row i holds i's neighbours)."""

    matrix: sp.csr_matrix
    method: str
    support: np.ndarray  # plays (sessions) behind each item, for confidence

    @property
    def n_items(self) -> int:
        return self.matrix.shape[0]

    def neighbours(self, item: int) -> tuple[np.ndarray, np.ndarray]:
        """(items, similarities) of one item, best first."""
        start, end = self.matrix.indptr[item], self.matrix.indptr[item + 1]
        cols, vals = self.matrix.indices[start:end], self.matrix.data[start:end]
        order = np.argsort(-vals, kind="stable")
        return cols[order], vals[order]

    def similarity(self, item: int, others: np.ndarray) -> np.ndarray:
        """Similarity of `item` to each of `others` (0 where not a kept neighbour)."""
        out = np.zeros(len(others), dtype=np.float32)
        start, end = self.matrix.indptr[item], self.matrix.indptr[item + 1]
        if start == end or len(others) == 0:
            return out
        cols = self.matrix.indices[start:end]
        vals = self.matrix.data[start:end]
        lookup = dict(zip(cols.tolist(), vals.tolist(), strict=True))
        for i, other in enumerate(others.tolist()):
            out[i] = lookup.get(other, 0.0)
        return out

    def score(self, items: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Dense scores of every item: the sum over `items` of weight x similarity."""
        if len(items) == 0:
            return np.zeros(self.n_items, dtype=np.float32)
        sub = self.matrix[items]
        return np.asarray(sub.T @ weights.astype(np.float32)).ravel()


def build_item_neighbours(
    sessions: sp.csr_matrix,
    *,
    method: str = "cosine",
    k: int = NEIGHBOURS_K,
    shrinkage: float = SHRINKAGE,
) -> ItemNeighbours:
    """Item-item similarities from a sessions x items matrix, keeping the top `k` per item.

    cosine:  s_ij = r_i.r_j / (|r_i| |r_j|)
    pearson: s_ij = (N r_i.r_j - Σr_i Σr_j) / sqrt((N |r_i|² - (Σr_i)²)(N |r_j|² - (Σr_j)²))
             over all N sessions (a session that did not play a track scores it 0)
    both then times n_ij / (n_ij + shrinkage), n_ij = sessions holding both.

    The cosines and the counts n_ij come from one sparse product instead of two (the product
    is most of the cost): each play is (weight / |r_i|) + 2i, so the real part of a pair's sum
    is cosine - 4 n_ij, and with the cosine in [-1, 1] the integer n_ij is what rounds it.
    """
    if method not in METHODS:
        raise UsageError(f'unknown similarity "{method}": choose {" or ".join(METHODS)}')
    n_sessions, n_items = sessions.shape
    r = sessions.tocsc()
    weights = r.data.astype(np.float64)
    item_of = np.repeat(np.arange(n_items, dtype=np.int32), np.diff(r.indptr))
    squares = np.bincount(item_of, weights=weights * weights, minlength=n_items)
    norms = np.sqrt(squares)
    inverse = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    unit = sp.csc_matrix(
        (weights * inverse[item_of] + COUNT_CHANNEL * 1j, r.indices, r.indptr), shape=r.shape
    )
    items_by_session = unit.T.tocsr()  # items x sessions
    sessions_by_item = unit.tocsr()  # sessions x items, the product's right side
    if method == "pearson":
        sums = np.bincount(item_of, weights=weights, minlength=n_items)
        spread = np.maximum(n_sessions * squares - sums**2, 0.0)
    # An item's pairs number at most the plays of the sessions it is in: the blocks' sizes.
    plays_in = np.diff(sessions_by_item.indptr).astype(np.float64)
    work = np.cumsum(sp.csr_matrix(items_by_session, dtype=bool, copy=True) @ plays_in)
    bounds = np.searchsorted(work, np.arange(BLOCK_PAIRS, work[-1] if n_items else 0, BLOCK_PAIRS))
    bounds = np.unique(np.concatenate(([0], bounds + 1, [n_items])).clip(0, n_items))
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    scale = COUNT_CHANNEL * COUNT_CHANNEL
    for start, stop in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        pairs = items_by_session[start:stop] @ sessions_by_item  # items start..stop x items
        real = pairs.data.real
        counts = np.rint(real / -scale)
        sims = real + scale * counts  # the cosine; float64 until here, the 4 n_ij is large
        rows = np.repeat(np.arange(stop - start, dtype=np.int32), np.diff(pairs.indptr))
        cols = pairs.indices
        if method == "pearson":
            denom = np.sqrt(spread[rows + start] * spread[cols])
            cov = n_sessions * sims * norms[rows + start] * norms[cols]
            cov -= sums[rows + start] * sums[cols]
            sims = np.divide(cov, denom, out=np.zeros_like(cov), where=denom > 0)
        sims = sims.astype(np.float32)  # what is kept
        counts = counts.astype(np.float32)
        sims *= counts / (counts + np.float32(shrinkage))
        valid = (rows + start != cols) & (sims > np.float32(ROUNDING_PER_SESSION) * counts)
        parts.append(_top_k(pairs.indptr, rows, cols, sims, valid, k))
    if parts:
        values = np.concatenate([p[0] for p in parts])
        indices = np.concatenate([p[1] for p in parts])
        kept = np.concatenate([p[2] for p in parts])
    else:
        values, indices, kept = np.zeros(0, np.float32), np.zeros(0, np.int32), np.zeros(0, int)
    indptr = np.concatenate(([0], np.cumsum(kept)))
    matrix = sp.csr_matrix((values, indices, indptr), shape=(n_items, n_items))
    return ItemNeighbours(matrix, method, np.diff(r.indptr).astype(np.int32))


def _top_k(
    indptr: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    sims: np.ndarray,
    valid: np.ndarray,
    k: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(values, columns, count per row) of the `k` largest valid entries of each row of a CSR
    layout (`rows` repeats each row's number over its entries), in the layout's order.

    Each entry gets one int64 key, the row in the high 32 bits and the similarity's float32 bits
    inverted in the low 32 (positive floats order like their bit patterns), so one plain sort
    of the keys of the rows with more than `k` entries gives each such row's k-th best key; the
    entries are then kept in place by comparing with it (ties: the first in input order)."""
    n_rows = len(indptr) - 1
    values = sims.astype(np.float32, copy=False)
    valid_before = np.concatenate(([0], np.cumsum(valid)))
    lengths = valid_before[indptr[1:]] - valid_before[indptr[:-1]]
    keep = valid.copy()
    long = np.flatnonzero(lengths > k)
    if len(long):
        key = np.repeat(np.arange(n_rows, dtype=np.int64) << 32, np.diff(indptr))
        key |= np.where(valid, ~values.view(np.uint32), np.uint32(0xFFFFFFFF))  # invalid last
        in_long = (lengths > k)[rows]
        ranked = np.sort(key[in_long], kind="stable")
        starts = np.concatenate(([0], np.cumsum(np.diff(indptr)[long])[:-1]))
        kth = ranked[starts + k - 1]
        threshold = (np.arange(n_rows, dtype=np.int64) << 32) | 0xFFFFFFFF  # short rows: all
        threshold[long] = kth
        keep &= key < threshold[rows]
        needed = np.zeros(n_rows, dtype=np.int64)
        needed[long] = k - (np.searchsorted(ranked, kth) - starts)
        ties = np.flatnonzero(in_long & (key == threshold[rows]))
        tie_rows = rows[ties]
        tie_rank = np.arange(len(ties)) - np.searchsorted(tie_rows, tie_rows)
        keep[ties[tie_rank < needed[tie_rows]]] = True
    return values[keep], cols[keep], np.minimum(lengths, k)
