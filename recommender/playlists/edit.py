"""Small playlist edits the player needs: list playlists, create one, append tracks."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from recommender.core.errors import UsageError
from recommender.library.store import Store


@dataclass(frozen=True)
class PlaylistInfo:
    id: int
    name: str
    size: int
    smart: bool


def list_playlists(store: Store) -> list[PlaylistInfo]:
    """Every playlist by name, with its number of tracks (smart playlists have none stored)."""
    rows = store.conn.execute(
        "SELECT p.id, p.name, count(i.track_id), p.query IS NOT NULL FROM playlists p "
        "LEFT JOIN playlist_items i ON i.playlist_id = p.id GROUP BY p.id "
        "ORDER BY p.name COLLATE NOCASE"
    ).fetchall()
    return [PlaylistInfo(r[0], r[1], r[2], bool(r[3])) for r in rows]


def create_playlist(store: Store, name: str) -> int:
    name = name.strip()
    if not name:
        raise UsageError("a playlist needs a name")
    now = time.time()
    with store.transaction() as conn:
        cur = conn.execute(
            "INSERT INTO playlists(name, created_at, updated_at) VALUES (?, ?, ?)", (name, now, now)
        )
    return int(cur.lastrowid or 0)


def append_to_playlist(store: Store, playlist_id: int, track_ids: Iterable[int]) -> int:
    """Add tracks at the end of a (non-smart) playlist; returns how many were added."""
    ids = [int(t) for t in track_ids]
    with store.transaction() as conn:
        row = conn.execute("SELECT query FROM playlists WHERE id = ?", (playlist_id,)).fetchone()
        if row is None:
            raise UsageError(f"no playlist with id {playlist_id}")
        if row[0] is not None:
            raise UsageError("a smart playlist is defined by its query; tracks cannot be added")
        (end,) = conn.execute(
            "SELECT coalesce(max(position) + 1, 0) FROM playlist_items WHERE playlist_id = ?",
            (playlist_id,),
        ).fetchone()
        conn.executemany(
            "INSERT INTO playlist_items(playlist_id, position, track_id) VALUES (?, ?, ?)",
            [(playlist_id, end + i, tid) for i, tid in enumerate(ids)],
        )
        conn.execute("UPDATE playlists SET updated_at = ? WHERE id = ?", (time.time(), playlist_id))
    return len(ids)
