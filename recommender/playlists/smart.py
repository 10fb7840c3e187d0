"""Smart playlists: a saved query, a sort and a limit, evaluated afresh on every read.

Nothing is stored per item, so a smart playlist follows the library and the play history by
itself (a new play can move a track into "most played"). The query is the `tonearm tracks`
syntax (`recommender.library.query`); sorts are a fixed set, never SQL from the user.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from recommender.core.errors import NotFoundError, UsageError
from recommender.library.query import compile_query
from recommender.library.store import Store

SMART_SORTS: dict[str, str] = {
    "most_played": "Most played",
    "least_played": "Least played",
    "recently_played": "Recently played",
    "recently_added": "Recently added",
    "album": "Artist and album",
    "year": "Oldest first",
}
"""Sort keys and the label a person sees for each."""
_ORDER_SQL: dict[str, str] = {
    "most_played": "coalesce(p.n, 0) DESC, coalesce(p.last, 0) DESC",
    "least_played": "coalesce(p.n, 0), t.added_at DESC",
    "recently_played": "p.last IS NULL, p.last DESC",
    "recently_added": "t.added_at DESC",
    "album": "t.artist COLLATE NOCASE, t.album COLLATE NOCASE, t.discnumber, t.tracknumber",
    "year": "t.year IS NULL, t.year, t.artist COLLATE NOCASE, t.album COLLATE NOCASE, "
    "t.discnumber, t.tracknumber",
}
DEFAULT_SORT = "most_played"
DEFAULT_LIMIT = 50
MAX_LIMIT = 10_000


@dataclass(frozen=True)
class SmartRule:
    """What a smart playlist holds: tracks matching `query`, ordered by `sort`, at most `limit`
    (None: all of them)."""

    query: str
    sort: str = DEFAULT_SORT
    limit: int | None = DEFAULT_LIMIT

    def describe(self) -> str:
        head = self.query or "every track"
        tail = f", first {self.limit}" if self.limit else ""
        return f"{head} — {SMART_SORTS.get(self.sort, self.sort).lower()}{tail}"


def check_rule(rule: SmartRule) -> SmartRule:
    """The rule, cleaned up; UsageError (with a message) for a bad query, sort or limit."""
    compile_query(rule.query)  # raises on an unknown field or a bad year range
    if rule.sort not in SMART_SORTS:
        raise UsageError(f'unknown sort "{rule.sort}": use one of {", ".join(SMART_SORTS)}')
    limit = rule.limit
    if limit is not None and not 1 <= int(limit) <= MAX_LIMIT:
        raise UsageError(f"a limit must be between 1 and {MAX_LIMIT:,} (or none)")
    return SmartRule(rule.query.strip(), rule.sort, None if limit is None else int(limit))


def create_smart_playlist(store: Store, name: str, rule: SmartRule) -> int:
    name = name.strip()
    if not name:
        raise UsageError("a playlist needs a name")
    rule = check_rule(rule)
    now = time.time()
    with store.transaction() as conn:
        cur = conn.execute(
            "INSERT INTO playlists(name, created_at, updated_at, query, sort, limit_n) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (name, now, now, rule.query, rule.sort, rule.limit),
        )
    return int(cur.lastrowid or 0)


def update_smart_rule(store: Store, playlist_id: int, rule: SmartRule) -> None:
    rule = check_rule(rule)
    with store.transaction() as conn:
        cur = conn.execute(
            "UPDATE playlists SET query = ?, sort = ?, limit_n = ?, updated_at = ? "
            "WHERE id = ? AND query IS NOT NULL",
            (rule.query, rule.sort, rule.limit, time.time(), playlist_id),
        )
        if cur.rowcount == 0:
            raise NotFoundError(f"no smart playlist with id {playlist_id}")


def smart_rule(store: Store, playlist_id: int) -> SmartRule | None:
    """The rule of a smart playlist; None for an ordinary one."""
    row = store.conn.execute(
        "SELECT query, sort, limit_n FROM playlists WHERE id = ?", (playlist_id,)
    ).fetchone()
    if row is None:
        raise NotFoundError(f"no playlist with id {playlist_id}")
    if row[0] is None:
        return None
    return SmartRule(row[0], row[1] if row[1] in SMART_SORTS else DEFAULT_SORT, row[2])


def smart_track_ids(store: Store, rule: SmartRule) -> list[int]:
    """The present tracks a rule selects now, in its order (skips do not count as plays)."""
    rule = check_rule(rule)
    where, params = compile_query(rule.query)
    sql = (
        "SELECT t.id FROM tracks t LEFT JOIN (SELECT track_id, count(*) AS n, "
        "max(started_at) AS last FROM plays WHERE skipped = 0 GROUP BY track_id) p "
        "ON p.track_id = t.id WHERE t.missing = 0"
    )
    if where:
        sql += f" AND ({where})"
    sql += f" ORDER BY {_ORDER_SQL[rule.sort]}, t.id"
    if rule.limit:
        sql += " LIMIT ?"
        params = [*params, rule.limit]
    return [r[0] for r in store.conn.execute(sql, params)]


def playlist_contents(store: Store, playlist_id: int) -> list[int]:
    """Track ids of any playlist: stored items, or a smart playlist's rule evaluated now."""
    rule = smart_rule(store, playlist_id)
    if rule is not None:
        return smart_track_ids(store, rule)
    return [
        r[0]
        for r in store.conn.execute(
            "SELECT track_id FROM playlist_items WHERE playlist_id = ? ORDER BY position",
            (playlist_id,),
        )
    ]
