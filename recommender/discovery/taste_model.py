"""The derived, in-memory picture of a library that recommendations, radio and playlists read.

One `TasteModel` holds the track table as arrays (row = track), the play history, the item-CF
neighbours and the sound vectors of the current model version. It is a rebuildable cache of the
store with one owner (the CLI command, or the GUI's worker); `is_stale` says when to rebuild.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from recommender.discovery.item_cf import (
    ItemNeighbours,
    PlayArrays,
    build_item_neighbours,
    session_matrix,
)
from recommender.history.plays import dismissed_ids, history_signature, play_rows
from recommender.library.store import Store
from recommender.library.tracks import (
    Track,
    get_tracks,
    present_key_rows,
    tracks_signature,
)
from recommender.sound.embeddings import embeddings_signature, stored_vectors
from recommender.sound.similarity import pair_quantiles

RECENT_SKIP_WINDOW_S = 30 * 86400.0
REPEATED_SKIPS = 2
"""A track skipped this many times within RECENT_SKIP_WINDOW_S is left out of suggestions."""


@dataclass
class TasteModel:
    """Arrays over the library's present tracks plus the history and what is derived from it."""

    track_ids: np.ndarray  # int64, row -> track id
    artist_keys: list[str]  # normalised lead artist ("" if unknown)
    recording_keys: list[str]  # normalised artist + title ("" if unknown)
    album_keys: list[str]
    genres: list[str]
    plays: PlayArrays
    vectors: np.ndarray | None = None  # (n, dim) float32 unit rows, zeros where none
    has_vector: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))  # bool (n,)
    model_version: str | None = None
    excluded: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))  # dismissed
    now: float = field(default_factory=time.time)
    signature: tuple = ()
    _neighbours: ItemNeighbours | None = None
    _sound_quantiles: np.ndarray | None = None
    derived: dict = field(default_factory=dict)
    """Answers computed from this model (the listener's profile, its scores); cleared by
    `note_play`."""

    def __post_init__(self) -> None:
        n = len(self.track_ids)
        self.row_of = {int(t): i for i, t in enumerate(self.track_ids.tolist())}
        self.artist_code = _codes(self.artist_keys)
        self.genre_code = _codes(self.genres)
        self.album_code = _codes(self.album_keys)
        if len(self.excluded) != n:
            self.excluded = np.zeros(n, dtype=bool)
        if len(self.has_vector) != n:  # no vectors: no row has one
            self.has_vector = np.zeros(n, dtype=bool)
        positive = ~self.plays.skipped
        self.play_count = np.bincount(self.plays.item[positive], minlength=n).astype(np.float32)
        recent = self.plays.skipped & (self.plays.started_at >= self.now - RECENT_SKIP_WINDOW_S)
        self.recent_skips = np.bincount(self.plays.item[recent], minlength=n)

    @property
    def n_tracks(self) -> int:
        return len(self.track_ids)

    @property
    def neighbours(self) -> ItemNeighbours:
        """Item-CF neighbours, built on first use (a few seconds at a million plays)."""
        if self._neighbours is None:
            # Decay relative to the newest play, not the clock: the same history gives the
            # same neighbours (and the same mixes) whenever it is rebuilt.
            sessions = session_matrix(self.plays, self.n_tracks)
            self._neighbours = build_item_neighbours(sessions)
        return self._neighbours

    def set_neighbours(self, neighbours: ItemNeighbours) -> None:
        self._neighbours = neighbours

    def rows(self, track_ids: list[int]) -> np.ndarray:
        return np.array([self.row_of[t] for t in track_ids if t in self.row_of], dtype=np.int64)

    def tracks(self, rows: list[int], store: Store) -> dict[int, Track]:
        """Track records (by row) for the few rows a caller shows."""
        by_id = get_tracks(store, [int(self.track_ids[r]) for r in rows])
        return {r: by_id[int(self.track_ids[r])] for r in rows if int(self.track_ids[r]) in by_id}

    def sound_quantiles(self) -> np.ndarray:
        """Quantiles of the sound cosine over the library's pairs (computed once), so a
        reason can say how close two tracks are among all pairs rather than a raw cosine."""
        if self._sound_quantiles is None:
            with_vector = self.vectors[self.has_vector] if self.vectors is not None else []
            self._sound_quantiles = pair_quantiles(np.asarray(with_vector, np.float32))
        return self._sound_quantiles

    def sound_similarity(self, row: int, others: np.ndarray) -> np.ndarray:
        """Cosine between one track's vector and others' (0 where either has none)."""
        vectors = self.vectors
        if vectors is None or not self.has_vector[row]:
            return np.zeros(len(others), dtype=np.float32)
        return vectors[others] @ vectors[row]

    def note_play(
        self,
        track_id: int,
        started_at: float,
        seconds_played: float,
        completed: bool,
        skipped: bool,
    ) -> None:
        """Take a new play into account at once (profile, counts, skips) without rebuilding the
        CF neighbours, which can wait for the next rebuild."""
        row = self.row_of.get(track_id)
        if row is None:
            return
        p = self.plays
        self.plays = PlayArrays(
            np.append(p.item, np.int32(row)),
            np.append(p.started_at, started_at),
            np.append(p.completed, completed),
            np.append(p.skipped, skipped),
            None if p.user is None else np.append(p.user, p.user[-1] if len(p.user) else 0),
            None if p.seconds is None else np.append(p.seconds, seconds_played),
            p.time_ordered and (len(p) == 0 or started_at >= p.started_at[-1]),
        )
        if skipped:
            self.recent_skips[row] += 1
        else:
            self.play_count[row] += 1
        self.now = max(self.now, started_at + seconds_played)
        self.derived.clear()

    def is_stale(self, store: Store) -> bool:
        return self.signature != _signature(store)


def _codes(keys: list[str]) -> np.ndarray:
    """Small integer per distinct key; -1 for "" (unknown never collides with anything)."""
    table: dict[str, int] = {}
    return np.array([table.setdefault(k, len(table)) if k else -1 for k in keys], dtype=np.int64)


def _signature(store: Store) -> tuple:
    return (history_signature(store), tracks_signature(store), embeddings_signature(store))


def load_taste_model(store: Store, *, now: float | None = None) -> TasteModel:
    """Read tracks, plays, dismissed tracks and the current embeddings into a TasteModel."""
    from recommender.sound.similarity import current_model_version

    signature = _signature(store)
    # The names' keys are stored with each track (normalising 100,000 names took longer than
    # reading them).
    rows = present_key_rows(store)
    track_ids = np.array([r[0] for r in rows], dtype=np.int64)
    row_of = {t: i for i, t in enumerate(track_ids.tolist())}
    artist_keys = [r[1] for r in rows]
    recording_keys = [f"{r[1]}\x1f{r[2]}" if r[2] else "" for r in rows]
    album_keys = [f"{r[3]}\x1f{r[4].casefold()}" if r[4] else "" for r in rows]
    genres = [(r[5] or "").casefold() for r in rows]

    raw = np.array(
        play_rows(store),
        dtype=np.float64,
    ).reshape(-1, 5)
    raw = raw[np.argsort(raw[:, 1], kind="stable")]  # faster than ORDER BY over the index
    lookup = np.full(int(track_ids.max()) + 1 if len(track_ids) else 1, -1, dtype=np.int64)
    lookup[track_ids] = np.arange(len(track_ids))
    tid = raw[:, 0].astype(np.int64)
    item = np.where(tid < len(lookup), lookup[np.minimum(tid, len(lookup) - 1)], -1)
    keep = item >= 0
    plays = PlayArrays(
        item[keep].astype(np.int32),
        raw[keep, 1],
        raw[keep, 2] > 0,
        raw[keep, 3] > 0,
        seconds=raw[keep, 4],
        time_ordered=True,
    )
    excluded = np.zeros(len(track_ids), dtype=bool)
    for dismissed_id in dismissed_ids(store):
        if dismissed_id in row_of:
            excluded[row_of[dismissed_id]] = True

    vectors: np.ndarray | None = None
    has_vector: np.ndarray | None = None
    version = current_model_version(store)
    if version is not None and len(track_ids):
        emb = stored_vectors(store, version)
        dims = {r[1] for r in emb}
        if len(dims) == 1:
            dim = dims.pop()
            vectors = np.zeros((len(track_ids), dim), dtype=np.float32)
            has_vector = np.zeros(len(track_ids), dtype=bool)
            for track_id, _, blob in emb:
                r = row_of.get(track_id)
                if r is not None and len(blob) == 4 * dim:
                    vectors[r] = np.frombuffer(blob, dtype="<f4")
                    has_vector[r] = True
            norms = np.linalg.norm(vectors, axis=1)
            ok = norms > 0
            vectors[ok] /= norms[ok, None]
            has_vector &= ok
            if not has_vector.any():
                vectors = has_vector = None
    if has_vector is None:
        has_vector = np.zeros(len(track_ids), dtype=bool)
    return TasteModel(
        track_ids=track_ids,
        artist_keys=artist_keys,
        recording_keys=recording_keys,
        album_keys=album_keys,
        genres=genres,
        plays=plays,
        vectors=vectors,
        has_vector=has_vector,
        model_version=version if vectors is not None else None,
        excluded=excluded,
        now=time.time() if now is None else now,
        signature=signature,
    )
