"""Saved playlists: create, rename, delete, add, move, remove and list, for the GUI and CLI.

Positions are 0-based and kept contiguous. Smart playlists (with a query) hold no stored items;
edits to their items are refused with a message.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from recommender.core.errors import NotFoundError, UsageError
from recommender.library.query import fold
from recommender.library.store import Store
from recommender.playlists.edit import (
    PlaylistInfo,
    append_to_playlist,
    create_playlist,
    list_playlists,
)

__all__ = [
    "PlaylistInfo",
    "add_tracks",
    "create_playlist",
    "delete_playlist",
    "find_playlist",
    "list_playlists",
    "move_item",
    "move_items",
    "moved",
    "playlist_by_id",
    "playlist_by_name",
    "playlist_track_ids",
    "remove_items",
    "rename_playlist",
    "save_playlist",
]


def find_playlist(store: Store, ref: str | int) -> PlaylistInfo:
    """A playlist by id or by name (case-insensitive)."""
    for info in list_playlists(store):
        if (isinstance(ref, int) or str(ref).isdigit()) and info.id == int(ref):
            return info
        if isinstance(ref, str) and fold(info.name) == fold(ref.strip()):
            return info
    raise NotFoundError(f'no playlist "{ref}"')


def playlist_by_name(store: Store, name: str) -> PlaylistInfo | None:
    """The playlist called `name`, folding case and accents as searches do; None if none."""
    wanted = fold(name.strip())
    return next((p for p in list_playlists(store) if fold(p.name) == wanted), None)


def playlist_by_id(store: Store, playlist_id: int) -> PlaylistInfo | None:
    return next((p for p in list_playlists(store) if p.id == playlist_id), None)


def rename_playlist(store: Store, playlist_id: int, name: str) -> None:
    name = name.strip()
    if not name:
        raise UsageError("a playlist needs a name")
    with store.transaction() as conn:
        cur = conn.execute(
            "UPDATE playlists SET name = ?, updated_at = ? WHERE id = ?",
            (name, time.time(), playlist_id),
        )
        if cur.rowcount == 0:
            raise NotFoundError(f"no playlist with id {playlist_id}")


def delete_playlist(store: Store, playlist_id: int) -> None:
    with store.transaction() as conn:
        conn.execute("DELETE FROM playlist_items WHERE playlist_id = ?", (playlist_id,))
        cur = conn.execute("DELETE FROM playlists WHERE id = ?", (playlist_id,))
        if cur.rowcount == 0:
            raise NotFoundError(f"no playlist with id {playlist_id}")


def playlist_track_ids(store: Store, playlist_id: int) -> list[int]:
    return [
        r[0]
        for r in store.conn.execute(
            "SELECT track_id FROM playlist_items WHERE playlist_id = ? ORDER BY position",
            (playlist_id,),
        )
    ]


def add_tracks(store: Store, playlist_id: int, track_ids: Iterable[int]) -> int:
    """Append tracks at the end; returns how many were added."""
    return append_to_playlist(store, playlist_id, track_ids)


def _rewrite(store: Store, playlist_id: int, track_ids: list[int]) -> None:
    with store.transaction() as conn:
        row = conn.execute("SELECT query FROM playlists WHERE id = ?", (playlist_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no playlist with id {playlist_id}")
        if row[0] is not None:
            raise UsageError("a smart playlist is defined by its query; its items cannot be edited")
        conn.execute("DELETE FROM playlist_items WHERE playlist_id = ?", (playlist_id,))
        conn.executemany(
            "INSERT INTO playlist_items(playlist_id, position, track_id) VALUES (?, ?, ?)",
            [(playlist_id, i, t) for i, t in enumerate(track_ids)],
        )
        conn.execute("UPDATE playlists SET updated_at = ? WHERE id = ?", (time.time(), playlist_id))


def move_item(store: Store, playlist_id: int, from_pos: int, to_pos: int) -> None:
    """Move the entry at `from_pos` so that it ends up at `to_pos`."""
    ids = playlist_track_ids(store, playlist_id)
    if not (0 <= from_pos < len(ids) and 0 <= to_pos < len(ids)):
        raise UsageError(f"positions must be between 0 and {len(ids) - 1}")
    ids.insert(to_pos, ids.pop(from_pos))
    _rewrite(store, playlist_id, ids)


def moved(ids: list[int], positions: Iterable[int], to_pos: int) -> tuple[list[int], int]:
    """`ids` with the entries at `positions` (in their order) moved to sit before the entry that
    was at `to_pos` (len(ids): the end), and where that block now starts. A drag and drop in
    the GUI does exactly this, so the view can show the result before the write lands."""
    picked = sorted({p for p in positions if 0 <= p < len(ids)})
    taken = set(picked)
    rest = [t for i, t in enumerate(ids) if i not in taken]
    at = max(0, min(to_pos - sum(1 for p in picked if p < to_pos), len(rest)))
    return rest[:at] + [ids[p] for p in picked] + rest[at:], at


def move_items(store: Store, playlist_id: int, positions: Iterable[int], to_pos: int) -> int:
    """Move several entries as a block (see `moved`); returns where the block starts."""
    ids, at = moved(playlist_track_ids(store, playlist_id), positions, to_pos)
    _rewrite(store, playlist_id, ids)
    return at


def remove_items(store: Store, playlist_id: int, positions: Iterable[int]) -> None:
    drop = set(positions)
    ids = [t for i, t in enumerate(playlist_track_ids(store, playlist_id)) if i not in drop]
    _rewrite(store, playlist_id, ids)


def save_playlist(store: Store, name: str, track_ids: Iterable[int]) -> int:
    """Create a playlist holding `track_ids` in order; returns its id."""
    playlist_id = create_playlist(store, name)
    add_tracks(store, playlist_id, track_ids)
    return playlist_id
