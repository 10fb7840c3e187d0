"""The play queue persisted in the store (`queue_items` + `app_state`), so it survives a restart.

The queue holds only what is still to come; the playing track is saved beside it. Queues saved
before that rule kept played entries up to a stored index: loading drops those.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from recommender.library.store import Store

QUEUE_INDEX_KEY = "queue.current_index"
CURRENT_TRACK_KEY = "player.current_track_id"
POSITION_KEY = "player.position_s"
SHUFFLE_KEY = "player.shuffle"
REPEAT_KEY = "player.repeat"
REPEAT_MODES = ("off", "all", "one")


@dataclass
class SavedQueue:
    """The tracks still to come in order, the one playing, and where in it we were."""

    track_ids: list[int] = field(default_factory=list)
    current_track_id: int | None = None
    position_s: float = 0.0
    shuffle: bool = False
    repeat: str = "off"


def load_queue(store: Store) -> SavedQueue:
    """The saved queue; ids of tracks no longer in the library are dropped, and so are the
    played entries an older save kept (up to and including its current index)."""
    rows = store.conn.execute(
        "SELECT q.position, q.track_id FROM queue_items q JOIN tracks t ON t.id = q.track_id "
        "ORDER BY q.position"
    ).fetchall()
    played_up_to = _int(store.get_state(QUEUE_INDEX_KEY), -1)
    ids = [tid for position, tid in rows if position > played_up_to]
    current = _int(store.get_state(CURRENT_TRACK_KEY), None)
    position = _float(store.get_state(POSITION_KEY), 0.0)
    repeat = store.get_state(REPEAT_KEY) or "off"
    return SavedQueue(
        ids,
        current,
        position,
        shuffle=store.get_state(SHUFFLE_KEY) == "1",
        repeat=repeat if repeat in REPEAT_MODES else "off",
    )


def save_queue(store: Store, saved: SavedQueue) -> None:
    """Replace the saved queue in one small transaction."""
    with store.transaction() as conn:
        conn.execute("DELETE FROM queue_items")
        conn.executemany(
            "INSERT INTO queue_items(position, track_id) VALUES (?, ?)",
            list(enumerate(saved.track_ids)),
        )
        _set(conn, QUEUE_INDEX_KEY, "-1")  # nothing in the saved queue has played
        _set(conn, CURRENT_TRACK_KEY, _opt(saved.current_track_id))
        _set(conn, POSITION_KEY, f"{saved.position_s:.3f}")
        _set(conn, SHUFFLE_KEY, "1" if saved.shuffle else "0")
        _set(conn, REPEAT_KEY, saved.repeat)


def save_position(store: Store, track_id: int | None, position_s: float) -> None:
    """Just the playing track and position (written every few seconds while playing)."""
    with store.transaction() as conn:
        _set(conn, CURRENT_TRACK_KEY, _opt(track_id))
        _set(conn, POSITION_KEY, f"{position_s:.3f}")


def _set(conn, key: str, value: str | None) -> None:
    conn.execute(
        "INSERT INTO app_state(key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def _opt(value: int | None) -> str | None:
    return None if value is None else str(int(value))


def _int(text: str | None, default):
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


def _float(text: str | None, default: float) -> float:
    try:
        return float(text) if text is not None else default
    except ValueError:
        return default
