"""The library as compact columns for a big table view: loaded once, filtered and sorted in memory.

A 100,000-track library is a few arrays (numpy for numbers, lists of str for text) plus casefolded
search strings, so typing in a search box or clicking a column header never runs SQL per row. The
filter follows `library.query.parse_query`: the same fields, phrases, year ranges and negation
as `tonearm tracks`.
"""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from recommender.library.query import Term, parse_query
from recommender.library.store import Store, path_from_db

LIBRARY_ORDER_SQL = (
    "coalesce(albumartist, artist) COLLATE NOCASE, album COLLATE NOCASE, discnumber, "
    "tracknumber, path"
)
SORT_KEYS: tuple[str, ...] = (
    "title", "artist", "album", "year", "genre", "duration", "plays", "last_played", "added",
)  # fmt: skip
_SEP = "\x1f"  # never typed in a query, so a word cannot match across two joined fields
_YEAR_RE = re.compile(r"^(\d{4})?(\.\.)?(\d{4})?$")


@dataclass
class LibraryColumns:
    """Every visible track as parallel columns; row i of each belongs to `ids[i]`."""

    ids: np.ndarray  # int64
    title: list[str]
    artist: list[str]
    album: list[str]
    albumartist: list[str]
    genre: list[str]
    path: list[str]
    year: np.ndarray  # int32, 0 when unknown
    duration: np.ndarray  # float32, NaN when unknown
    tracknumber: np.ndarray  # int32
    discnumber: np.ndarray  # int32
    plays: np.ndarray  # int32
    last_played: np.ndarray  # float64 epoch seconds, 0 when never
    added: np.ndarray  # float64 epoch seconds
    signature: np.ndarray | None = field(default=None, repr=False)
    from_cache: bool = False
    _folded: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _ranks: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _row_of: dict[int, int] | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.ids)

    def row_of(self, track_id: int) -> int | None:
        """Row index of a track id (built on first use)."""
        if self._row_of is None:
            self._row_of = {int(t): i for i, t in enumerate(self.ids.tolist())}
        return self._row_of.get(int(track_id))

    def folded(self, name: str) -> list[str]:
        """Casefolded search strings: "plain" joins title/artist/album/albumartist."""
        cached = self._folded.get(name)
        if cached is None:
            if name == "plain":
                cached = [
                    _SEP.join(v).casefold()
                    for v in zip(self.title, self.artist, self.album, self.albumartist, strict=True)
                ]
            elif name == "artist":
                cached = [
                    f"{a}{_SEP}{b}".casefold()
                    for a, b in zip(self.artist, self.albumartist, strict=True)
                ]
            else:
                cached = [v.casefold() for v in getattr(self, name)]
            self._folded[name] = cached
        return cached

    def prepare_search(self) -> None:
        """Fold every search string now (in a worker), so the first keystroke is fast."""
        for name in ("plain", "artist", "album", "title", "genre"):
            self.folded(name)

    def rank(self, key: str) -> np.ndarray:
        """Position of each row when sorted by `key` (ties broken by album order)."""
        cached = self._ranks.get(key)
        if cached is not None:
            return cached
        n = len(self.ids)
        if key in ("title", "artist", "album", "genre"):
            text = [v.casefold() for v in getattr(self, key)]
            # Empty values last, like most players.
            order = sorted(range(n), key=lambda i: (text[i] == "", text[i]))
            primary = np.empty(n, dtype=np.int64)
            primary[np.asarray(order, dtype=np.int64)] = np.arange(n)
        elif key == "year":
            primary = np.where(self.year > 0, self.year, 99999).astype(np.int64)
        elif key == "duration":
            primary = np.nan_to_num(self.duration, nan=1e12).astype(np.float64)
        elif key == "plays":
            primary = self.plays.astype(np.int64)
        elif key == "last_played":
            primary = self.last_played
        elif key == "added":
            primary = self.added
        else:
            raise KeyError(key)
        # Rows arrive in album order, so a stable sort keeps albums together within ties.
        order = np.argsort(primary, kind="stable")
        ranks = np.empty(n, dtype=np.int64)
        ranks[order] = np.arange(n)
        self._ranks[key] = ranks
        return ranks


CACHE_FILE = "library-columns.npz"
CACHE_FORMAT = 1
_TEXT_COLUMNS = ("title", "artist", "album", "albumartist", "genre", "path")
_NUMBER_COLUMNS = ("ids", "year", "duration", "tracknumber", "discnumber", "added")
_CACHE_SEP = "\x00"


def load_library_columns(store: Store, *, use_cache: bool = True) -> LibraryColumns:
    """Every present track in album order, with play counts (both phases below at once)."""
    columns = read_track_columns(store, use_cache=use_cache)
    add_play_stats(store, columns)
    if use_cache:
        write_columns_cache(store, columns)
    return columns


def read_track_columns(store: Store, *, use_cache: bool = True) -> LibraryColumns:
    """Phase one, what a first paint needs: the track columns, from the cache when unchanged.

    The cache (`library-columns.npz` beside the database) is derived data keyed by a signature
    of the tracks table; play counts are left at zero for `add_play_stats`.
    """
    signature = _signature(store)
    columns = _read_cache(_cache_path(store), signature) if use_cache else None
    if columns is None:
        columns = _read_tracks(store)
    columns.signature = signature
    return columns


def write_columns_cache(store: Store, columns: LibraryColumns) -> None:
    """Phase two: save the columns for the next start, unless they came from the cache."""
    if not columns.from_cache and columns.signature is not None:
        _write_cache(_cache_path(store), columns.signature, columns)


def _cache_path(store: Store) -> Path:
    return store.path.with_name(CACHE_FILE)


def _signature(store: Store) -> np.ndarray:
    row = store.conn.execute(
        "SELECT count(*), coalesce(max(id), 0), coalesce(max(updated_at), 0), "
        "coalesce(sum(missing), 0), coalesce(max(added_at), 0) FROM tracks"
    ).fetchone()
    return np.array([CACHE_FORMAT, *row], dtype=np.float64)


def _read_tracks(store: Store) -> LibraryColumns:
    rows = store.conn.execute(
        "SELECT id, title, artist, album, albumartist, genre, path, year, duration, tracknumber, "
        "discnumber, added_at FROM tracks WHERE missing = 0 ORDER BY " + LIBRARY_ORDER_SQL
    ).fetchall()
    n = len(rows)
    cols = list(zip(*rows, strict=True)) if rows else [()] * 12
    paths = [p if isinstance(p, str) else path_from_db(p) for p in cols[6]]
    title = [t if t else p.rsplit("/", 1)[-1] for t, p in zip(cols[1], paths, strict=True)]
    return LibraryColumns(
        ids=np.fromiter(cols[0], dtype=np.int64, count=n),
        title=title,
        artist=[v or "" for v in cols[2]],
        album=[v or "" for v in cols[3]],
        albumartist=[v or "" for v in cols[4]],
        genre=[v or "" for v in cols[5]],
        path=paths,
        year=np.fromiter((v or 0 for v in cols[7]), dtype=np.int32, count=n),
        duration=np.fromiter(
            (np.nan if v is None else v for v in cols[8]), dtype=np.float32, count=n
        ),
        tracknumber=np.fromiter((v or 0 for v in cols[9]), dtype=np.int32, count=n),
        discnumber=np.fromiter((v or 0 for v in cols[10]), dtype=np.int32, count=n),
        plays=np.zeros(n, dtype=np.int32),
        last_played=np.zeros(n, dtype=np.float64),
        added=np.fromiter(cols[11], dtype=np.float64, count=n),
    )


def add_play_stats(store: Store, columns: LibraryColumns) -> None:
    """Phase two: play counts and last-played times (they change with every play)."""
    n = len(columns)
    plays = np.zeros(n, dtype=np.int32)
    last = np.zeros(n, dtype=np.float64)
    try:
        _fill_play_stats(store, columns, plays, last)
    finally:
        # whole arrays swapped in at once: a view reading them meanwhile sees old or new
        columns.plays, columns.last_played = plays, last
        columns._ranks.pop("plays", None)
        columns._ranks.pop("last_played", None)


def _fill_play_stats(store: Store, columns: LibraryColumns, plays, last) -> None:
    n = len(columns)
    if not n:
        return
    stats = store.conn.execute(
        "SELECT track_id, count(*), max(started_at + seconds_played) FROM plays GROUP BY track_id"
    ).fetchall()
    if not stats:
        return
    tids, counts, whens = (np.asarray(c) for c in zip(*stats, strict=True))
    order = np.argsort(columns.ids)
    pos = np.searchsorted(columns.ids, tids.astype(np.int64), sorter=order)
    pos = np.clip(pos, 0, n - 1)
    rows = order[pos]
    present = columns.ids[rows] == tids
    plays[rows[present]] = counts[present]
    last[rows[present]] = np.nan_to_num(whens[present].astype(np.float64))


def _read_cache(path: Path, signature: np.ndarray) -> LibraryColumns | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            if not np.array_equal(data["signature"], signature):
                return None
            numbers = {k: data[k] for k in _NUMBER_COLUMNS}
            texts = {
                k: bytes(data[k]).decode("utf-8", "surrogateescape").split(_CACHE_SEP)
                for k in _TEXT_COLUMNS
            }
    except (OSError, KeyError, ValueError):
        return None
    n = len(numbers["ids"])
    if any(len(v) != n for v in texts.values()) and n:
        return None
    if not n:
        texts = {k: [] for k in _TEXT_COLUMNS}
    return LibraryColumns(
        from_cache=True,
        ids=numbers["ids"],
        year=numbers["year"],
        duration=numbers["duration"],
        tracknumber=numbers["tracknumber"],
        discnumber=numbers["discnumber"],
        added=numbers["added"],
        plays=np.zeros(n, dtype=np.int32),
        last_played=np.zeros(n, dtype=np.float64),
        **texts,
    )


def _write_cache(path: Path, signature: np.ndarray, columns: LibraryColumns) -> None:
    """Best effort: a cache that cannot be written only costs the next start-up some time."""
    import os
    import tempfile

    texts = {}
    for key in _TEXT_COLUMNS:
        values = getattr(columns, key)
        if any(_CACHE_SEP in v for v in values):
            return  # a NUL inside a tag: not worth a smarter format
        blob = _CACHE_SEP.join(values).encode("utf-8", "surrogateescape")
        texts[key] = np.frombuffer(blob, dtype=np.uint8)
    numbers = {
        "ids": columns.ids,
        "year": columns.year,
        "duration": columns.duration,
        "tracknumber": columns.tracknumber,
        "discnumber": columns.discnumber,
        "added": columns.added,
    }
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".columns-", suffix=".npz", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, signature=signature, **numbers, **texts)
        os.replace(tmp, path)
    except OSError:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _text_mask(strings: list[str], value: str, within: np.ndarray | None) -> np.ndarray:
    n = len(strings)
    if within is None:
        return np.fromiter((value in s for s in strings), dtype=bool, count=n)
    mask = np.zeros(n, dtype=bool)
    rows = np.flatnonzero(within)
    hits = [int(i) for i in rows.tolist() if value in strings[i]]
    mask[hits] = True
    return mask


def _year_mask(years: np.ndarray, value: str) -> np.ndarray:
    match = _YEAR_RE.match(value)
    assert match is not None  # parse_query rejects bad ranges
    low, dots, high = match.groups()
    if not dots:
        return years == int(low)
    mask = years > 0
    if low:
        mask &= years >= int(low)
    if high:
        mask &= years <= int(high)
    return mask


_FIELD_STRINGS = {"": "plain", "artist": "artist", "album": "album", "title": "title"}


def term_mask(columns: LibraryColumns, term: Term, within: np.ndarray | None = None) -> np.ndarray:
    """Rows matching one term (before negation); `within` limits the rows that are tested."""
    if term.field == "year":
        return _year_mask(columns.year, term.value)
    name = _FIELD_STRINGS.get(term.field, term.field)
    return _text_mask(columns.folded(name), term.value.casefold(), within)


@dataclass
class LibraryFilter:
    """Filters `LibraryColumns` by a query, reusing the last result while the user types on."""

    columns: LibraryColumns
    _last_terms: list[Term] = field(default_factory=list)
    _last_masks: list[np.ndarray] = field(default_factory=list)

    def mask(self, query: str) -> np.ndarray | None:
        """Boolean mask of matching rows, None for an empty query; raises UsageError."""
        terms = parse_query(query)
        if not terms:
            self._last_terms, self._last_masks = [], []
            return None
        masks: list[np.ndarray] = []
        running: np.ndarray | None = None
        for i, term in enumerate(terms):
            cached = self._reuse(i, term, running)
            m = cached if cached is not None else term_mask(self.columns, term, _narrow(running))
            masks.append(m)
            effective = ~m if term.negate else m
            running = effective if running is None else running & effective
        self._last_terms, self._last_masks = terms, masks
        return running

    def _reuse(self, i: int, term: Term, running: np.ndarray | None) -> np.ndarray | None:
        """Same term as last time: its mask; a longer word: test only the rows that matched."""
        if i >= len(self._last_terms):
            return None
        old = self._last_terms[i]
        if old == term:
            return self._last_masks[i]
        if (
            old.field == term.field
            and old.field != "year"
            and not term.negate
            and not old.negate
            and term.value.casefold().startswith(old.value.casefold())
        ):
            within = self._last_masks[i] if running is None else self._last_masks[i] & running
            return term_mask(self.columns, term, within)
        return None


def _narrow(running: np.ndarray | None) -> np.ndarray | None:
    """Only test rows still in the running result once it is small enough to be worth it."""
    if running is None or running.sum() > 0.5 * running.size:
        return None
    return running


BROWSER_SEP = _SEP
"""Album entries are "album<SEP>artist", so albums that share a title stay apart."""


def _browser_strings(columns: LibraryColumns, key: str) -> list[str]:
    artists = [a or b for a, b in zip(columns.albumartist, columns.artist, strict=True)]
    if key == "artist":
        return artists
    if key == "album":
        return [
            f"{al}{_SEP}{ar}" if al else "" for al, ar in zip(columns.album, artists, strict=True)
        ]
    if key == "genre":
        return columns.genre
    raise KeyError(key)


def browser_values(columns: LibraryColumns, key: str) -> list[tuple[str, int]]:
    """Distinct artists (album artist first), albums (with their artist) or genres, with counts."""
    counts = Counter(_browser_strings(columns, key))
    counts.pop("", None)
    return sorted(counts.items(), key=lambda kv: kv[0].casefold())


def browser_mask(columns: LibraryColumns, key: str, value: str) -> np.ndarray:
    """Rows that belong to one browser entry (exact, case-insensitive)."""
    wanted = value.casefold()
    strings = _browser_strings(columns, key)
    return np.fromiter((s.casefold() == wanted for s in strings), dtype=bool, count=len(strings))
