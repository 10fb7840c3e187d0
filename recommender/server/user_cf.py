"""User-based CF for the reference server: the listeners most like the requester, and their plays.

The requester has no identity on the server: their vector is folded in from the request's seeds
and recent listens. Similarity is Pearson correlation between the two listeners' full vectors of
`log(1 + plays)` over every item, computed from sparse dot products and each listener's sum and
sum of squares (no dense users x users matrix, and only listeners who share an item with the
requester are touched), then shrunk by n / (n + LISTENER_SHRINKAGE) for n shared items, so two
listeners who share one song do not count as twins.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

NEAREST_LISTENERS = 50
LISTENER_SHRINKAGE = 5.0
"""Correlation over n shared items is multiplied by n / (n + LISTENER_SHRINKAGE)."""


@dataclass
class ListenerIndex:
    """Listeners' capped profiles (users x items, log(1 + plays)) in both orientations."""

    by_user: sp.csr_matrix
    by_item: sp.csr_matrix  # the transpose, for "who played these items"
    sums: np.ndarray
    sumsq: np.ndarray
    item_artist: np.ndarray  # int32 artist number per item, for the reasons

    @classmethod
    def from_profiles(cls, profiles: sp.csr_matrix, item_artist: np.ndarray) -> ListenerIndex:
        by_user = sp.csr_matrix(profiles, dtype=np.float64)
        sums = np.asarray(by_user.sum(axis=1)).ravel()
        sumsq = np.asarray(by_user.multiply(by_user).sum(axis=1)).ravel()
        return cls(by_user, by_user.T.tocsr(), sums, sumsq, item_artist)

    @property
    def users(self) -> int:
        return self.by_user.shape[0]

    def nearest(
        self, items: np.ndarray, values: np.ndarray, k: int = NEAREST_LISTENERS
    ) -> tuple[np.ndarray, np.ndarray]:
        """(listeners, shrunk Pearson) of the k most similar listeners with a positive value."""
        n_items = self.by_user.shape[1]
        block = self.by_item[items].tocoo()
        if block.nnz == 0:
            return np.empty(0, np.int64), np.empty(0)
        users, inverse = np.unique(block.col, return_inverse=True)
        dots = np.bincount(inverse, weights=block.data * values[block.row], minlength=len(users))
        shared = np.bincount(inverse, minlength=len(users)).astype(np.float64)
        q_sum, q_sumsq = float(values.sum()), float((values * values).sum())
        cov = dots - q_sum * self.sums[users] / n_items
        var_q = q_sumsq - q_sum * q_sum / n_items
        var_u = self.sumsq[users] - self.sums[users] ** 2 / n_items
        with np.errstate(divide="ignore", invalid="ignore"):
            r = cov / np.sqrt(np.maximum(var_q, 0.0) * np.maximum(var_u, 0.0))
        r = np.nan_to_num(r, nan=0.0, posinf=0.0, neginf=0.0)
        r *= shared / (shared + LISTENER_SHRINKAGE)
        keep = np.flatnonzero(r > 0)
        if len(keep) > k:
            keep = keep[np.argpartition(-r[keep], k - 1)[:k]]
        keep = keep[np.lexsort((users[keep], -r[keep]))]
        return users[keep], r[keep]

    def scores(
        self, items: np.ndarray, values: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(item scores, listeners, their similarity): neighbours' similarity x their plays."""
        listeners, r = self.nearest(items, values)
        out = np.zeros(self.by_user.shape[1])
        if len(listeners):
            out = np.asarray(self.by_user[listeners].T @ r).ravel()
        return out, listeners, r

    def shared_artists(self, items: np.ndarray, listeners: np.ndarray) -> np.ndarray:
        """How many of the requester's artists each listener plays."""
        mine = np.unique(self.item_artist[items])
        rows = self.by_user[listeners]
        out = np.empty(len(listeners), np.int64)
        for n in range(len(listeners)):
            theirs = self.item_artist[rows.indices[rows.indptr[n] : rows.indptr[n + 1]]]
            out[n] = len(np.intersect1d(mine, theirs, assume_unique=False))
        return out

    def reasons(
        self, items: np.ndarray, listeners: np.ndarray, r: np.ndarray, picks: np.ndarray
    ) -> list[str]:
        """One reason per picked item, naming the shared artists of its strongest listener."""
        if not len(picks) or not len(listeners):
            return [listener_reason(0)] * len(picks)
        shared = self.shared_artists(items, listeners)
        contrib = self.by_user[listeners][:, picks].toarray() * r[:, None]
        best = np.argmax(contrib, axis=0)
        return [listener_reason(int(shared[b])) for b in best.tolist()]


def listener_reason(shared_artists: int) -> str:
    if shared_artists <= 0:
        return "listeners with your taste play it"
    if shared_artists == 1:
        return "listeners who share one of your artists play it"
    return f"listeners who share {shared_artists} of your artists play it"
