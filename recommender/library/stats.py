"""Counts that describe a library, for `tonearm library` and the GUI's status line."""

from __future__ import annotations

from typing import Any

from recommender.library.store import Store


def library_stats(store: Store) -> dict[str, Any]:
    row = store.conn.execute(
        "SELECT count(*), coalesce(sum(missing), 0), "
        "count(DISTINCT CASE WHEN missing = 0 THEN lower(coalesce(albumartist, artist)) END), "
        "count(DISTINCT CASE WHEN missing = 0 THEN lower(coalesce(albumartist, artist, '')) "
        "|| '\x1f' || lower(album) END), "
        "coalesce(sum(CASE WHEN missing = 0 THEN duration END), 0) FROM tracks"
    ).fetchone()
    plays = store.conn.execute("SELECT count(*) FROM plays").fetchone()[0]
    errors = store.conn.execute("SELECT count(*) FROM scan_errors").fetchone()[0]
    return {
        "tracks": row[0] - row[1],
        "missing": row[1],
        "artists": row[2],
        "albums": row[3],
        "duration_s": round(row[4], 1),
        "plays": plays,
        "scan_errors": errors,
    }
