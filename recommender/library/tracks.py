"""Reads of tracks from the store (the `Track` record is declared in `fields`).

Views and commands get plain Tracks.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterable

from recommender.core.errors import NotFoundError
from recommender.library.fields import TRACK_COLUMNS, Track
from recommender.library.query import compile_query, fold, same_text
from recommender.library.schema import KEYS_FROM_NAMES_SQL
from recommender.library.store import Store, path_from_db, path_to_db

_SELECT = "SELECT " + ", ".join(TRACK_COLUMNS) + " FROM tracks"

UNKNOWN_ARTIST = "Unknown artist"
"""The one wording for a track without an artist (never "None", "?" or blank)."""


def artist_name(artist: str | None, albumartist: str | None = None) -> str:
    """The artist to show: the track's, else the album artist, else "Unknown artist"."""
    return (artist or "").strip() or (albumartist or "").strip() or UNKNOWN_ARTIST


def artist_and_title(track: Track, sep: str = " – ") -> str:
    """ "Artist – Title" for messages, playlist names and seeds (one wording everywhere)."""
    return f"{artist_name(track.artist, track.albumartist)}{sep}{track.display_title}"


def track_from_row(row: sqlite3.Row | tuple) -> Track:
    values = dict(zip(TRACK_COLUMNS, row, strict=True))
    values["path"] = path_from_db(values["path"])
    values["has_cover"] = bool(values["has_cover"])
    values["missing"] = bool(values["missing"])
    return Track(**values)


def get_track(store: Store, track_id: int) -> Track:
    row = store.conn.execute(_SELECT + " WHERE id = ?", (track_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"no track with id {track_id}")
    return track_from_row(row)


def get_tracks(store: Store, track_ids: Iterable[int]) -> dict[int, Track]:
    """Tracks by id, in one query per 500 ids."""
    ids = list(dict.fromkeys(track_ids))
    out: dict[int, Track] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for row in store.conn.execute(_SELECT + f" WHERE id IN ({marks})", chunk):
            track = track_from_row(row)
            out[track.id] = track
    return out


def find_tracks(
    store: Store,
    query: str = "",
    *,
    include_missing: bool = False,
    limit: int | None = None,
    order: str = "artist COLLATE NOCASE, album COLLATE NOCASE, discnumber, tracknumber, path",
) -> list[Track]:
    """Tracks matching a query in the `tonearm tracks` syntax (see `recommender.library.query`)."""
    where, params = compile_query(query)
    clauses = [where] if where else []
    if not include_missing:
        clauses.append("missing = 0")
    sql = _SELECT
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    sql += f" ORDER BY {order}"
    if limit is not None:
        sql += " LIMIT ?"
        params = [*params, int(limit)]
    return [track_from_row(r) for r in store.conn.execute(sql, params)]


def resolve_track(store: Store, ref: str) -> Track:
    """A track named by id, path, or "artist - title" (case-insensitive), for CLI arguments."""
    ref = ref.strip()
    if ref.isdigit():
        return get_track(store, int(ref))
    for cand in (ref, os.path.abspath(os.path.expanduser(ref))):
        row = store.conn.execute(_SELECT + " WHERE path = ?", (path_to_db(cand),)).fetchone()
        if row:
            return track_from_row(row)
    if " - " in ref:
        artist, title = (part.strip() for part in ref.split(" - ", 1))
        row = store.conn.execute(
            _SELECT + f" WHERE {same_text('artist')} AND {same_text('title')} "
            "ORDER BY missing, id LIMIT 1",
            (artist, title),
        ).fetchone()
        if row:
            return track_from_row(row)
    raise NotFoundError(f'no track matches "{ref}" (give an id, a path, or "artist - title")')


def tracks_by_artist(store: Store, name: str) -> list[Track]:
    """Present tracks whose artist or album artist is `name` (case and accents folded)."""
    sql = _SELECT + (
        f" WHERE missing = 0 AND ({same_text('artist')} OR {same_text('albumartist')}) ORDER BY id"
    )
    return [track_from_row(r) for r in store.conn.execute(sql, (name, name))]


def tracks_on_album(store: Store, name: str) -> list[Track]:
    """Present tracks of the album called `name` (case and accents folded), in album order."""
    sql = _SELECT + (
        f" WHERE missing = 0 AND {same_text('album')} ORDER BY discnumber, tracknumber, id"
    )
    return [track_from_row(r) for r in store.conn.execute(sql, (name,))]


def track_by_mbid(store: Store, mbid: str) -> Track | None:
    """The first present track tagged with this MusicBrainz recording id."""
    row = store.conn.execute(
        _SELECT + " WHERE mb_recording_id = ? AND missing = 0 ORDER BY id LIMIT 1", (mbid,)
    ).fetchone()
    return track_from_row(row) if row else None


def tracks_with_artist_word(store: Store, word: str) -> list[Track]:
    """Present tracks whose artist contains `word` (folded as searches are): a cheap prefilter."""
    sql = _SELECT + " WHERE missing = 0 AND instr(tonearm_fold(artist), ?) > 0"
    return [track_from_row(r) for r in store.conn.execute(sql, (fold(word),))]


def present_ids_by_path(store: Store, paths: Iterable[str]) -> dict[str, int]:
    """Ids of the present (not missing) tracks at these paths."""
    out: dict[str, int] = {}
    for path in paths:
        row = store.conn.execute(
            "SELECT id FROM tracks WHERE path = ? AND missing = 0", (path_to_db(path),)
        ).fetchone()
        if row is not None:
            out[path] = int(row[0])
    return out


def display_names(store: Store) -> dict[int, tuple[str, str]]:
    """Per present track: (artist, else album artist, else ""; title or "")."""
    return {
        r[0]: (r[1] or "", r[2] or "")
        for r in store.conn.execute(
            "SELECT id, coalesce(artist, albumartist), title FROM tracks WHERE missing = 0"
        )
    }


def distinct_artists(store: Store) -> set[str | None]:
    return {r[0] for r in store.conn.execute("SELECT DISTINCT artist FROM tracks")}


def common_genres(store: Store, n: int = 20) -> list[str]:
    """The library's most common genre tags, most common first."""
    return [
        r[0]
        for r in store.conn.execute(
            "SELECT genre FROM tracks WHERE genre IS NOT NULL AND missing = 0 "
            "GROUP BY genre ORDER BY COUNT(*) DESC LIMIT ?",
            (n,),
        )
    ]


def present_paths(store: Store) -> dict[int, str]:
    """Paths of the present tracks by id."""
    return {
        r[0]: path_from_db(r[1])
        for r in store.conn.execute("SELECT id, path FROM tracks WHERE missing = 0")
    }


def present_track_count(store: Store) -> int:
    (count,) = store.conn.execute("SELECT count(*) FROM tracks WHERE missing = 0").fetchone()
    return int(count)


def tracks_signature(store: Store) -> tuple:
    """Changes whenever a track is added or updated: when to rebuild derived data."""
    return tuple(store.conn.execute("SELECT count(*), max(updated_at) FROM tracks").fetchone())


NAME_KEYS_SQL = (
    "coalesce(artist_key, tonearm_artist_key(artist, albumartist)), "
    "coalesce(title_key, tonearm_title_key(title)), "
    "coalesce(albumartist_key, tonearm_artist_key(albumartist, artist))"
)
"""A track's stored (artist_key, title_key, albumartist_key), computed where a row has none."""


def present_key_rows(store: Store) -> list[tuple]:
    """(id, artist key, title key, album artist key, album, genre) of the present tracks, by
    id: the names as the taste model compares them, read instead of normalised again."""
    return store.conn.execute(
        f"SELECT id, {NAME_KEYS_SQL}, album, genre FROM tracks WHERE missing = 0 ORDER BY id"
    ).fetchall()


def fill_missing_artists(store: Store) -> int:
    """Give tracks without an artist tag the artist their folder makes unambiguous; returns
    how many were filled.

    The rule (run after each scan): a track with no artist (none tagged, none in its file or
    folder names) takes its own album artist; else the one album artist its folder's tracks
    share; else the one artist its folder's other tracks are tagged with. Where the folder
    holds several, it stays "Unknown artist". The value is marked guessed, like a name read
    from the path, and a rescan of the file reads its tags afresh.
    """
    rows = store.conn.execute(
        "SELECT id, path, artist, albumartist, guessed FROM tracks WHERE missing = 0"
    ).fetchall()
    album_artists: dict[str, set[str]] = {}
    artists: dict[str, set[str]] = {}
    for _tid, path, artist, albumartist, guessed in rows:
        folder = os.path.dirname(path)
        if albumartist:
            album_artists.setdefault(folder, set()).add(albumartist.strip())
        if artist and "artist" not in guessed.split(","):
            artists.setdefault(folder, set()).add(artist.strip())
    filled = []
    for tid, path, artist, albumartist, guessed in rows:
        if artist:
            continue
        folder = os.path.dirname(path)
        name = albumartist or _only(album_artists.get(folder)) or _only(artists.get(folder))
        if name:
            marks = ",".join([g for g in guessed.split(",") if g] + ["artist"])
            filled.append((name, marks, time.time(), tid))
    if filled:
        with store.transaction() as conn:
            conn.executemany(
                "UPDATE tracks SET artist = ?, guessed = ?, updated_at = ? WHERE id = ?", filled
            )
            conn.executemany(  # the new artist's keys (the names changed without them)
                KEYS_FROM_NAMES_SQL.strip().rstrip(";") + " WHERE id = ?",
                [(f[-1],) for f in filled],
            )
    return len(filled)


def _only(names: set[str] | None) -> str | None:
    """The single name of a set, ignoring case; None when empty or ambiguous."""
    if not names or len({n.casefold() for n in names}) != 1:
        return None
    return sorted(names)[0]
