"""A generated library with sound embeddings and a listening history, for the discovery views.

Embeddings are written straight into the store (one direction per album plus noise), so no
sound model is needed. Sessions pair neighbouring albums, so item-CF has co-plays to explain.
"""

from __future__ import annotations

import time

import numpy as np

from recommender.library.store import Store
from tests.library_factory import insert_library
from tests.recommender.history_factory import DAY_S, add_embeddings, add_session

ALBUM_TRACKS = 12  # insert_library's album size
EMBEDDING_DIM = 16


def track_ids(store: Store) -> list[int]:
    return [r[0] for r in store.conn.execute("SELECT id FROM tracks ORDER BY id")]


def add_album_embeddings(store: Store, ids: list[int], *, seed: int = 3) -> None:
    rng = np.random.default_rng(seed)
    directions = rng.normal(size=(len(ids) // ALBUM_TRACKS + 1, EMBEDDING_DIM))
    vectors = {}
    for i, tid in enumerate(ids):
        v = directions[i // ALBUM_TRACKS] + 0.35 * rng.normal(size=EMBEDDING_DIM)
        vectors[tid] = v / np.linalg.norm(v)  # the model writes unit vectors
    add_embeddings(store, vectors)


def add_history(store: Store, ids: list[int], *, sessions: int = 60, seed: int = 3) -> None:
    """Sessions 40 to 5 days ago, each a few tracks from two neighbouring albums."""
    rng = np.random.default_rng(seed)
    n_albums = len(ids) // ALBUM_TRACKS
    start = time.time() - 40 * DAY_S
    for s in range(sessions):
        album = int(rng.integers(0, max(1, n_albums // 2))) * 2
        pool = ids[album * ALBUM_TRACKS : (album + 2) * ALBUM_TRACKS]
        picks = [int(t) for t in rng.choice(pool, size=6, replace=False)]
        add_session(store, picks, start + s * (35 * DAY_S / sessions))


def make_discovery_library(
    store: Store, n_tracks: int = 480, *, embeddings: bool = True, history: bool = True
) -> list[int]:
    insert_library(store, n_tracks, seed=11)
    ids = track_ids(store)
    if embeddings:
        add_album_embeddings(store, ids)
    if history:
        add_history(store, ids)
    return ids
