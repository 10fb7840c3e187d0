"""Small generated libraries and listening histories for the recommender tests (rows inserted
directly; no audio)."""

from __future__ import annotations

import time

import numpy as np

from recommender.library.store import Store

DAY_S = 86400.0


def add_tracks(
    store: Store,
    specs: list[tuple[str, str]],
    *,
    genre: str | None = None,
    duration: float = 200.0,
    root: str = "/music",
) -> list[int]:
    """Insert (artist, title) tracks; returns their ids in order."""
    now = time.time()
    ids = []
    with store.transaction() as conn:
        for artist, title in specs:
            cur = conn.execute(
                "INSERT INTO tracks(path, size, mtime, duration, title, artist, album, genre, "
                "added_at, updated_at) VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?, ?)",
                (f"{root}/{artist}/{title}.flac", now, duration, title, artist, f"{artist} LP",
                 genre, now, now),
            )  # fmt: skip
            ids.append(int(cur.lastrowid))
    return ids


def add_session(
    store: Store,
    track_ids: list[int],
    start: float,
    *,
    skipped: set[int] = frozenset(),
    seconds: float = 200.0,
) -> float:
    """Plays one after another from `start` (skips last 10 s); returns when the session ended."""
    t = start
    with store.transaction() as conn:
        for tid in track_ids:
            skip = tid in skipped
            played = 10.0 if skip else seconds
            conn.execute(
                "INSERT INTO plays(track_id, started_at, seconds_played, completed, skipped) "
                "VALUES (?, ?, ?, ?, ?)",
                (int(tid), t, played, int(not skip), int(skip)),
            )
            t += played
    return t


def add_embeddings(store: Store, vectors: dict[int, np.ndarray], version: str = "test-1") -> None:
    now = time.time()
    with store.transaction() as conn:
        for tid, vec in vectors.items():
            v = np.asarray(vec, dtype="<f4")
            conn.execute(
                "INSERT INTO embeddings(track_id, model_version, dim, vector, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (tid, version, len(v), v.tobytes(), now),
            )
