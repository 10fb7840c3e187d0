"""The library as compact columns for a big table view: loaded once, filtered and sorted in memory.

A 100,000-track library is a few arrays (numpy for numbers, lists of str for text) plus casefolded
search strings, so typing in a search box or clicking a column header never runs SQL per row. The
filter follows `library.query.parse_query`: the same fields, phrases, year ranges and negation
as `tonearm tracks`.
"""

from __future__ import annotations

import contextlib
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from recommender.core.datadir import cache_dir
from recommender.library.fields import (
    MEMORY_FIELDS,
    PLAIN_FIELDS,
    PLAY_COLUMNS,
    TABLE_COLUMNS,
    TEXT_QUERY_FIELDS,
)
from recommender.library.query import Term, TextTerm, fold, parse_query
from recommender.library.store import Store, path_from_db
from recommender.library.tracks import artist_name

LIBRARY_ORDER_SQL = (
    "coalesce(albumartist, artist) COLLATE NOCASE, album COLLATE NOCASE, discnumber, "
    "tracknumber, path"
)
SORT_KEYS: tuple[str, ...] = tuple(c.key for c in TABLE_COLUMNS)
_SEP = "\x1f"  # never typed in a query, so a word cannot match across two joined fields
TEXT_KINDS = ("text", "path")
_DTYPES: dict[str, type] = {
    "int": np.int32, "year": np.int32, "float": np.float32, "duration": np.float32,
    "time": np.float64, "count": np.int32, "bool": np.bool_,
}  # fmt: skip
TEXT_KEYS: tuple[str, ...] = tuple(f.view_key for f in MEMORY_FIELDS if f.kind in TEXT_KINDS)
NUMBER_KEYS: tuple[str, ...] = tuple(f.view_key for f in MEMORY_FIELDS if f.kind not in TEXT_KINDS)
_KIND_OF: dict[str, str] = {
    **{f.view_key: f.kind for f in MEMORY_FIELDS},
    **{c.key: c.kind for c in PLAY_COLUMNS},
}


class LibraryColumns:
    """Every visible track as parallel columns; row i of each belongs to `ids[i]`.

    The columns are the fields declared `in_memory` in `fields.Track` (text as lists of str,
    "" when unknown; numbers as arrays, 0 or NaN when unknown) plus the play columns; each is
    also an attribute (`columns.title`, `columns.year`, `columns.plays`).
    """

    def __init__(
        self,
        ids: np.ndarray,
        text: dict[str, list[str]],
        numbers: dict[str, np.ndarray],
        *,
        plays: np.ndarray | None = None,
        skips: np.ndarray | None = None,
        last_played: np.ndarray | None = None,
        from_cache: bool = False,
    ) -> None:
        n = len(ids)
        self.ids = ids
        self.text = text
        self.numbers = numbers
        self.plays = np.zeros(n, dtype=np.int32) if plays is None else plays
        self.skips = np.zeros(n, dtype=np.int32) if skips is None else skips
        self.last_played = np.zeros(n, dtype=np.float64) if last_played is None else last_played
        self.signature: np.ndarray | None = None
        self.from_cache = from_cache
        self._folded: dict[tuple[str, ...], list[str]] = {}
        self._ranks: dict[str, np.ndarray] = {}
        self._row_of: dict[int, int] | None = None

    def __getattr__(self, name: str) -> Any:
        # Only reached for names that are not plain attributes: the declared columns.
        text = self.__dict__.get("text", {})
        if name in text:
            return text[name]
        numbers = self.__dict__.get("numbers", {})
        if name in numbers:
            return numbers[name]
        raise AttributeError(name)

    def __len__(self) -> int:
        return len(self.ids)

    def row_of(self, track_id: int) -> int | None:
        """Row index of a track id (built on first use)."""
        if self._row_of is None:
            self._row_of = {int(t): i for i, t in enumerate(self.ids.tolist())}
        return self._row_of.get(int(track_id))

    def count_listen(self, track_id: int, *, skipped: bool, ended_at: float) -> int | None:
        """A play just recorded: one more play or skip, and the last-played time; its row."""
        row = self.row_of(track_id)
        if row is None:
            return None
        key = "skips" if skipped else "plays"
        getattr(self, key)[row] += 1
        self.last_played[row] = ended_at
        for changed in (key, "last_played"):
            self._ranks.pop(changed, None)
        return row

    def folded_text(self, columns: tuple[str, ...]) -> list[str]:
        """Folded search strings (`query.fold`) of these columns, joined per row."""
        cached = self._folded.get(columns)
        if cached is None:
            if len(columns) == 1:
                cached = [fold(v) or "" for v in self.text[columns[0]]]
            else:
                cached = [
                    fold(_SEP.join(v)) or ""
                    for v in zip(*(self.text[c] for c in columns), strict=True)
                ]
            self._folded[columns] = cached
        return cached

    def number_column(self, name: str) -> np.ndarray:
        return self.numbers[name]

    def prepare_search(self) -> None:
        """Fold every search string now (in a worker), so the first keystroke is fast."""
        for term_columns in {PLAIN_FIELDS, *TEXT_QUERY_FIELDS.values()}:
            if all(c in self.text for c in term_columns) and term_columns != ("path",):
                self.folded_text(term_columns)

    def rank(self, key: str) -> np.ndarray:
        """Position of each row when sorted by `key` (ties broken by album order)."""
        cached = self._ranks.get(key)
        if cached is not None:
            return cached
        n = len(self.ids)
        kind = _KIND_OF.get(key)
        if kind is None:
            raise KeyError(key)
        if kind in TEXT_KINDS:
            text = [v.casefold() for v in self.text[key]]
            # Empty values last, like most players.
            order = sorted(range(n), key=lambda i: (text[i] == "", text[i]))
            primary: np.ndarray = np.empty(n, dtype=np.int64)
            primary[np.asarray(order, dtype=np.int64)] = np.arange(n)
        else:
            values = getattr(self, key)
            if kind in ("year", "int"):
                primary = np.where(values > 0, values, np.iinfo(np.int32).max).astype(np.int64)
            elif kind in ("duration", "float"):
                primary = np.nan_to_num(values, nan=1e12).astype(np.float64)
            else:
                primary = values.astype(np.float64)
        # Rows arrive in album order, so a stable sort keeps albums together within ties.
        sort_order = np.argsort(primary, kind="stable")
        ranks = np.empty(n, dtype=np.int64)
        ranks[sort_order] = np.arange(n)
        self._ranks[key] = ranks
        return ranks


CACHE_FILE = "library-columns.npz"
CACHE_FORMAT = 2
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

    The cache (`library-columns.npz` in the data folder's `cache_dir`) is derived data keyed by
    a signature of the tracks table; play counts are left at zero for `add_play_stats`.
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
    return cache_dir(store.path.parent) / CACHE_FILE


def _signature(store: Store) -> np.ndarray:
    row = store.conn.execute(
        "SELECT count(*), coalesce(max(id), 0), coalesce(max(updated_at), 0), "
        "coalesce(sum(missing), 0), coalesce(max(added_at), 0) FROM tracks"
    ).fetchone()
    return np.array([CACHE_FORMAT, *row], dtype=np.float64)


def _read_tracks(store: Store) -> LibraryColumns:
    names = [f.name for f in MEMORY_FIELDS]
    rows = store.conn.execute(
        f"SELECT id, {', '.join(names)} FROM tracks WHERE missing = 0 ORDER BY " + LIBRARY_ORDER_SQL
    ).fetchall()
    n = len(rows)
    cols = list(zip(*rows, strict=True)) if rows else [()] * (len(names) + 1)
    text: dict[str, list[str]] = {}
    numbers: dict[str, np.ndarray] = {}
    for spec, values in zip(MEMORY_FIELDS, cols[1:], strict=True):
        if spec.kind == "path":
            text[spec.view_key] = [p if isinstance(p, str) else path_from_db(p) for p in values]
        elif spec.kind in TEXT_KINDS:
            text[spec.view_key] = [v or "" for v in values]
        else:
            dtype = _DTYPES[spec.kind]
            unknown = np.nan if np.issubdtype(dtype, np.floating) else 0
            numbers[spec.view_key] = np.fromiter(
                (unknown if v is None else v for v in values), dtype=dtype, count=n
            )
    if "title" in text and "path" in text:  # as `Track.display_title`: the file name
        text["title"] = [
            t if t else p.rsplit("/", 1)[-1]
            for t, p in zip(text["title"], text["path"], strict=True)
        ]
    return LibraryColumns(np.fromiter(cols[0], dtype=np.int64, count=n), text, numbers)


def add_play_stats(store: Store, columns: LibraryColumns) -> None:
    """Phase two: play and skip counts, last-played times (they change with every play).

    Skips never count as plays (`fields.PLAY_COLUMNS`).
    """
    n = len(columns)
    plays = np.zeros(n, dtype=np.int32)
    skips = np.zeros(n, dtype=np.int32)
    last = np.zeros(n, dtype=np.float64)
    try:
        _fill_play_stats(store, columns, plays, skips, last)
    finally:
        # whole arrays swapped in at once: a view reading them meanwhile sees old or new
        columns.plays, columns.skips, columns.last_played = plays, skips, last
        for key in ("plays", "skips", "last_played"):
            columns._ranks.pop(key, None)


def _fill_play_stats(store: Store, columns: LibraryColumns, plays, skips, last) -> None:
    n = len(columns)
    if not n:
        return
    stats = store.conn.execute(
        "SELECT track_id, coalesce(sum(skipped = 0), 0), coalesce(sum(skipped), 0), "
        "max(started_at + seconds_played) FROM plays GROUP BY track_id"
    ).fetchall()
    if not stats:
        return
    tids, counts, skip_counts, whens = (np.asarray(c) for c in zip(*stats, strict=True))
    order = np.argsort(columns.ids)
    pos = np.searchsorted(columns.ids, tids.astype(np.int64), sorter=order)
    pos = np.clip(pos, 0, n - 1)
    rows = order[pos]
    present = columns.ids[rows] == tids
    plays[rows[present]] = counts[present]
    skips[rows[present]] = skip_counts[present]
    last[rows[present]] = np.nan_to_num(whens[present].astype(np.float64))


def _read_cache(path: Path, signature: np.ndarray) -> LibraryColumns | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            if not np.array_equal(data["signature"], signature):
                return None
            ids = data["ids"]
            numbers = {k: data[k] for k in NUMBER_KEYS}
            texts = {
                k: bytes(data[k]).decode("utf-8", "surrogateescape").split(_CACHE_SEP)
                for k in TEXT_KEYS
            }
    except (OSError, KeyError, ValueError):
        return None
    n = len(ids)
    if any(len(v) != n for v in texts.values()) and n:
        return None
    if not n:
        texts = {k: [] for k in TEXT_KEYS}
    return LibraryColumns(ids, texts, numbers, from_cache=True)


def _write_cache(path: Path, signature: np.ndarray, columns: LibraryColumns) -> None:
    """Best effort: a cache that cannot be written only costs the next start-up some time."""
    import os
    import tempfile

    texts: dict[str, Any] = {}
    for key in TEXT_KEYS:
        values = columns.text[key]
        if any(_CACHE_SEP in v for v in values):
            return  # a NUL inside a tag: not worth a smarter format
        blob = _CACHE_SEP.join(values).encode("utf-8", "surrogateescape")
        texts[key] = np.frombuffer(blob, dtype=np.uint8)
    numbers: dict[str, Any] = {"ids": columns.ids, **{k: columns.numbers[k] for k in NUMBER_KEYS}}
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".columns-", suffix=".npz", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, signature=signature, **numbers, **texts)
        os.replace(tmp, path)
    except OSError:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


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
            m = cached if cached is not None else term.mask(self.columns, _narrow(running))
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
            and isinstance(old, TextTerm)
            and not term.negate
            and not old.negate
            and (fold(term.value) or "").startswith(fold(old.value) or "")
        ):
            within = self._last_masks[i] if running is None else self._last_masks[i] & running
            return term.mask(self.columns, within)
        return None


def _narrow(running: np.ndarray | None) -> np.ndarray | None:
    """Only test rows still in the running result once it is small enough to be worth it."""
    if running is None or running.sum() > 0.5 * running.size:
        return None
    return running


BROWSER_SEP = _SEP
"""Album entries are "album<SEP>artist", so albums that share a title stay apart."""
VARIOUS_ARTISTS = "Various artists"


def _browser_strings(columns: LibraryColumns, key: str) -> list[str]:
    artists = [artist_name(b, a) for a, b in zip(columns.albumartist, columns.artist, strict=True)]
    if key == "artist":
        return artists
    if key == "album":
        return _album_strings(columns)
    if key == "genre":
        return columns.genre
    raise KeyError(key)


def _album_strings(columns: LibraryColumns) -> list[str]:
    """ "album<SEP>artist" per row. An album is its title with its album artist, or (with no
    album artist) its title within one folder, so a soundtrack whose tracks name different
    artists stays one album; its artist is then the one its tracks share, or "Various
    artists"."""
    groups: list[tuple[str, str]] = []
    artists_in: dict[tuple[str, str], set[str]] = {}
    for album, albumartist, artist, path in zip(
        columns.album, columns.albumartist, columns.artist, columns.path, strict=True
    ):
        if not album:
            groups.append(("", ""))
            continue
        where = f"a:{albumartist.casefold()}" if albumartist else f"d:{os.path.dirname(path)}"
        group = (album.casefold(), where)
        groups.append(group)
        artists_in.setdefault(group, set()).add(albumartist or artist_name(artist))
    labels: dict[tuple[str, str], str] = {}
    out = []
    for album, group in zip(columns.album, groups, strict=True):
        if not album:
            out.append("")
            continue
        if group not in labels:
            names = artists_in[group]
            label = next(iter(names)) if len(names) == 1 else VARIOUS_ARTISTS
            labels[group] = f"{album}{_SEP}{label}"
        out.append(labels[group])
    return out


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
