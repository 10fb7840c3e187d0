"""Endless radio from a track, artist, album or playlist: a stateful queue the GUI keeps per
session, asks for the next N at any time, and tells about skips so the rest of the session
steers away from them.

Rules: stays near the seed (and drifts gently with what is playing), no track or recording
again within `repeat_window` picks, never three by one artist in a row (and a penalty for two),
never anything dismissed or skipped repeatedly of late.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from recommender.core.errors import NotFoundError, UsageError
from recommender.discovery.closeness import candidate_pool, closeness
from recommender.discovery.recommendation import SOURCE_LOCAL, Recommendation
from recommender.discovery.taste_model import REPEATED_SKIPS, TasteModel, load_taste_model
from recommender.library.store import Store
from recommender.library.tracks import (
    artist_and_title,
    resolve_track,
    tracks_by_artist,
    tracks_on_album,
)
from recommender.playlists.saved import playlist_by_id, playlist_by_name
from recommender.playlists.smart import playlist_contents

REPEAT_WINDOW = 100
SEED_WEIGHT = 0.6
"""Each pick balances closeness to the seed (this) and to the track before it (the rest)."""
SAME_ARTIST_AS_PREVIOUS_PENALTY = 0.3
ARTIST_WINDOW = 10
ARTIST_REPEAT_PENALTY = 0.12
"""Per pick by the same artist among the last ARTIST_WINDOW: the same artist keeps not coming."""
SKIP_PENALTY = 0.8
SKIP_DECAY = 0.9
"""A skip's push-away fades by this factor with every later pick."""
JITTER = 0.05
"""A little randomness, so two radios from one seed do not play the same list."""
SEED_KINDS = ("track", "artist", "album", "playlist")


@dataclass(frozen=True)
class RadioSeed:
    kind: str
    label: str
    track_ids: tuple[int, ...]


def resolve_seed(store: Store, text: str) -> RadioSeed:
    """A seed from "track:REF", "artist:NAME", "album:NAME", "playlist:NAME", or plain text
    (tried as a track, then an artist, an album, a playlist)."""
    kind, sep, value = text.partition(":")
    kinds = (kind.lower(),) if sep and kind.lower() in SEED_KINDS else SEED_KINDS
    value = value if sep and kind.lower() in SEED_KINDS else text
    for k in kinds:
        seed = _seed_of_kind(store, k, value.strip())
        if seed is not None:
            return seed
    raise NotFoundError(
        f'nothing in the library matches "{text}" as a {" / ".join(kinds)} '
        '(try "artist:NAME", "album:NAME", "playlist:NAME" or a track id or path)'
    )


def _seed_of_kind(store: Store, kind: str, value: str) -> RadioSeed | None:
    if kind == "track":
        try:
            track = resolve_track(store, value)
        except NotFoundError:
            return None
        return RadioSeed("track", artist_and_title(track), (track.id,))
    if kind == "artist":
        ids = [t.id for t in tracks_by_artist(store, value)]
        return RadioSeed("artist", value, tuple(ids)) if ids else None
    if kind == "album":
        ids = [t.id for t in tracks_on_album(store, value)]
        return RadioSeed("album", value, tuple(ids)) if ids else None
    found = playlist_by_name(store, value)
    if found is None and value.isdigit():
        found = playlist_by_id(store, int(value))
    if found is None:
        return None
    row = (found.id, found.name)
    ids = playlist_contents(store, row[0])  # a smart playlist seeds with what it holds now
    return RadioSeed("playlist", row[1], tuple(ids)) if ids else None


class Radio:
    """One listening session's radio. Not thread-safe: one per session, called from one thread."""

    def __init__(
        self,
        store: Store,
        seed: RadioSeed,
        *,
        model: TasteModel | None = None,
        repeat_window: int = REPEAT_WINDOW,
        random_seed: int | None = None,
    ) -> None:
        self.store = store
        self.seed = seed
        self.model = model if model is not None else load_taste_model(store)
        self.seed_rows = self.model.rows(list(seed.track_ids))
        if len(self.seed_rows) == 0:
            raise UsageError(f'the seed "{seed.label}" has no playable tracks in the library')
        self.rng = np.random.default_rng(random_seed)
        self.repeat_window = repeat_window
        self.history: deque[int] = deque(maxlen=repeat_window)
        if seed.kind == "track":  # the seed is playing; an artist's own tracks may come
            self.history.extend(self.seed_rows.tolist())
        self.last_artists: deque[int] = deque(maxlen=ARTIST_WINDOW)
        self.current: int | None = int(self.seed_rows[-1]) if seed.kind == "track" else None
        self._depth = 1
        self._build_pool()

    def _build_pool(self) -> None:
        m = self.model
        pool = candidate_pool(m, self.seed_rows, depth=self._depth)
        blocked = m.excluded[pool] | (m.recent_skips[pool] >= REPEATED_SKIPS)
        self.pool = pool[~blocked]
        self.position = {int(r): i for i, r in enumerate(self.pool.tolist())}
        self.seed_score = closeness(m, self.seed_rows, self.pool)
        self.penalty = np.zeros(len(self.pool), np.float32)
        self.blocked_session = np.zeros(len(self.pool), bool)

    def skipped(self, track_id: int) -> None:
        """The listener skipped this track: push it and what is close to it away for a while."""
        row = self.model.row_of.get(track_id)
        if row is None:
            return
        near = closeness(self.model, np.array([row]), self.pool)
        self.penalty += SKIP_PENALTY * near / max(float(near.max()), 1e-9)
        if row in self.position:
            self.blocked_session[self.position[row]] = True

    def played(self, track_id: int) -> None:
        """The listener played this (from anywhere): the radio continues from it."""
        row = self.model.row_of.get(track_id)
        if row is not None:
            self.current = row
            self.history.append(row)

    def next(self, n: int = 25) -> list[Recommendation]:
        """The next `n` tracks; call again for more. Endless: widens its pool when it runs dry."""
        picks: list[int] = []
        reasons: list[str] = []
        while len(picks) < n:
            row = self._pick()
            if row is None:
                if self._depth >= 8 or len(self.pool) >= self.model.n_tracks:
                    self.history.clear()  # a tiny library: allow repeats rather than stop
                    if self._pick_possible():
                        continue
                    break
                self._depth *= 2
                self._build_pool()
                continue
            picks.append(row)
            reasons.append(self._reason(row))
            self._advance(row)
        tracks = self.model.tracks(picks, self.store)
        return [
            Recommendation(
                score=float(self.seed_score[self.position[r]]),
                reasons=(why,),
                track=tracks[r],
                artist=tracks[r].artist,
                title=tracks[r].title,
                mb_recording_id=tracks[r].mb_recording_id,
                source=SOURCE_LOCAL,
            )
            for r, why in zip(picks, reasons, strict=True)
            if r in tracks
        ]

    def _pick_possible(self) -> bool:
        return bool(len(self.pool)) and not self.blocked_session.all()

    def _pick(self) -> int | None:
        m = self.model
        score = SEED_WEIGHT * self.seed_score - self.penalty
        if self.current is not None:
            score = score + (1 - SEED_WEIGHT) * closeness(m, np.array([self.current]), self.pool)
        score = score + JITTER * self.rng.random(len(self.pool))
        artists = m.artist_code[self.pool]
        if self.last_artists:
            prev = self.last_artists[-1]
            score = score - SAME_ARTIST_AS_PREVIOUS_PENALTY * ((artists == prev) & (prev >= 0))
            lately = np.array([a for a in self.last_artists if a >= 0], dtype=np.int64)
            if len(lately):
                counts = np.bincount(lately, minlength=int(artists.max()) + 1)
                score = score - ARTIST_REPEAT_PENALTY * counts[np.maximum(artists, 0)] * (
                    artists >= 0
                )
        banned = self.blocked_session.copy()
        recent = [self.position[r] for r in self.history if r in self.position]
        banned[recent] = True
        recent_keys = {m.recording_keys[r] for r in self.history} - {""}
        if len(self.last_artists) >= 2 and self.last_artists[-2] == self.last_artists[-1] >= 0:
            banned |= artists == self.last_artists[-1]
        order = np.argsort(-np.where(banned, -np.inf, score), kind="stable")
        for i in order[:64].tolist():
            if banned[i]:
                return None
            row = int(self.pool[i])
            if m.recording_keys[row] and m.recording_keys[row] in recent_keys:
                continue
            return row
        return None

    def _advance(self, row: int) -> None:
        self.history.append(row)
        self.current = row
        self.last_artists.append(int(self.model.artist_code[row]))
        self.penalty *= SKIP_DECAY

    def _reason(self, row: int) -> str:
        closest = self.seed_score[self.position[row]]
        return f"radio from {self.seed.kind} {self.seed.label} (closeness {closest:.2f})"
