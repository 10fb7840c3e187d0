"""The sound layer's storage: embeddings and analysis errors in the library database.

Every SQL statement about embeddings lives here; analysis, similarity, coverage and the taste
model call these functions.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

import numpy as np

from recommender.library.store import Store, path_from_db


def tracks_to_embed(
    store: Store, model_version: str, *, retry_errors: bool = False
) -> list[tuple[int, str, float | None]]:
    """(id, path, duration) of present tracks with no embedding (nor recorded error) for
    ``model_version``, in id order."""
    sql = """
        SELECT id, path, duration FROM tracks
        WHERE missing = 0
          AND id NOT IN (SELECT track_id FROM embeddings WHERE model_version = ?)
    """
    params: list[object] = [model_version]
    if not retry_errors:
        sql += " AND id NOT IN (SELECT track_id FROM analysis_errors WHERE model_version = ?)"
        params.append(model_version)
    rows = store.conn.execute(sql + " ORDER BY id", params).fetchall()
    return [(r[0], path_from_db(r[1]), r[2]) for r in rows]


def save_embeddings(
    store: Store,
    model_version: str,
    vectors: Sequence[tuple[int, np.ndarray]],
    errors: Iterable[tuple[int, str]],
) -> None:
    """Store vectors and failures of one chunk in one transaction (a track's new vector
    clears its old error)."""
    now = time.time()
    with store.transaction() as conn:
        conn.executemany(
            "INSERT OR REPLACE INTO embeddings(track_id, model_version, dim, vector, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [
                (tid, model_version, int(v.shape[0]), v.astype("<f4").tobytes(), now)
                for tid, v in vectors
            ],
        )
        conn.executemany(
            "DELETE FROM analysis_errors WHERE track_id = ? AND model_version = ?",
            [(tid, model_version) for tid, _ in vectors],
        )
        conn.executemany(
            "INSERT OR REPLACE INTO analysis_errors(track_id, model_version, reason, at) "
            "VALUES (?, ?, ?, ?)",
            [(tid, model_version, reason, now) for tid, reason in errors],
        )


def current_model_version(store: Store) -> str | None:
    """The model version with the most embeddings (what `similar` uses when none is given)."""
    row = store.conn.execute(
        "SELECT model_version FROM embeddings GROUP BY model_version "
        "ORDER BY COUNT(*) DESC, MAX(created_at) DESC LIMIT 1"
    ).fetchone()
    return row[0] if row else None


def embedding_rows(store: Store, model_version: str) -> list[tuple]:
    """(track id, dim, vector blob, artist, title) of present tracks, in id order."""
    return store.conn.execute(
        "SELECT e.track_id, e.dim, e.vector, t.artist, t.title FROM embeddings e "
        "JOIN tracks t ON t.id = e.track_id "
        "WHERE e.model_version = ? AND t.missing = 0 ORDER BY e.track_id",
        (model_version,),
    ).fetchall()


def stored_vectors(store: Store, model_version: str) -> list[tuple[int, int, bytes]]:
    """(track id, dim, vector blob) of every track embedded with ``model_version``."""
    return store.conn.execute(
        "SELECT track_id, dim, vector FROM embeddings WHERE model_version = ?", (model_version,)
    ).fetchall()


def embeddings_signature(store: Store) -> tuple:
    """Changes whenever an embedding is added or replaced: when to reload an index."""
    return tuple(store.conn.execute("SELECT count(*), max(created_at) FROM embeddings").fetchone())


def coverage_counts(store: Store, model_version: str) -> tuple[int, int]:
    """(present tracks embedded, analysis failures) for ``model_version``."""
    (embedded,) = store.conn.execute(
        "SELECT count(*) FROM embeddings e JOIN tracks t ON t.id = e.track_id "
        "WHERE e.model_version = ? AND t.missing = 0",
        (model_version,),
    ).fetchone()
    (failed,) = store.conn.execute(
        "SELECT count(*) FROM analysis_errors WHERE model_version = ?", (model_version,)
    ).fetchone()
    return int(embedded), int(failed)
