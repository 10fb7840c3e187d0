"""Matching listens from other services to library tracks: one normalisation, one matcher.

A listen matches a track by MusicBrainz recording id when both have one, else by normalised
artist and title, so "The Beatles - Let It Be (Remastered 2009)" finds "beatles - let it be".
When several tracks share artist and title (the album version and the live one), the album
(ListenBrainz's `release_name`, XSPF's `<album>`) and the duration decide; with `strict` (a
playlist entry) a track whose album or duration disagrees is not accepted at all.
The remote client uses the same `normalise_artist_title`, so both sides agree on what "the same
song" means.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from recommender.library.names import normalise_album, normalise_artist_title
from recommender.library.store import Store
from recommender.library.tracks import NAME_KEYS_SQL

DURATION_TOLERANCE_S = 3.0
"""Durations this close are the same recording (#EXTINF rounds to seconds; encoders differ)."""
DURATION_TOLERANCE_FRACTION = 0.02


def same_duration(a: float | None, b: float | None) -> bool:
    """True when either is unknown, or they differ by at most the tolerance."""
    if not a or not b:
        return True
    return abs(a - b) <= max(DURATION_TOLERANCE_S, DURATION_TOLERANCE_FRACTION * max(a, b))


@dataclass
class LibraryMatcher:
    """Finds the library track for a listen; built once from the store, then queried many times."""

    by_mbid: dict[str, int]
    by_key: dict[str, list[int]]
    by_title: dict[str, list[tuple[str, int]]]
    albums: dict[int, str] = field(default_factory=dict)
    durations: dict[int, float] = field(default_factory=dict)

    @classmethod
    def from_store(cls, store: Store) -> LibraryMatcher:
        by_mbid: dict[str, int] = {}
        by_key: dict[str, list[int]] = {}
        by_title: dict[str, list[tuple[str, int]]] = {}
        albums: dict[int, str] = {}
        durations: dict[int, float] = {}
        rows = store.conn.execute(
            f"SELECT id, artist, albumartist, {NAME_KEYS_SQL}, mb_recording_id, album, duration "
            "FROM tracks ORDER BY missing, id"
        )
        for tid, artist, albumartist, a, t, album_a, mbid, album, duration in rows:
            if mbid:
                by_mbid.setdefault(mbid.strip().lower(), tid)
            if not t:
                continue
            albums[tid] = normalise_album(album)
            if duration:
                durations[tid] = float(duration)
            by_key.setdefault(f"{a}\x1f{t}", []).append(tid)
            if albumartist and albumartist != artist:  # album_a is then albumartist's own key
                by_key.setdefault(f"{album_a}\x1f{t}", []).append(tid)
            by_title.setdefault(t, []).append((a, tid))
        return cls(by_mbid, by_key, by_title, albums, durations)

    def match(
        self,
        artist: str | None,
        title: str | None,
        mb_recording_id: str | None = None,
        *,
        album: str | None = None,
        duration_s: float | None = None,
        strict: bool = False,
    ) -> int | None:
        """The track id for a listen, or None when the library has no such recording.

        Same-named tracks are told apart by `album`, then `duration_s`; with `strict`, a
        candidate whose album (when both are known) or duration differs is refused."""
        if mb_recording_id:
            tid = self.by_mbid.get(mb_recording_id.strip().lower())
            if tid is not None:
                return tid
        a, t = normalise_artist_title(artist, title)
        if not t:
            return None
        candidates = self.by_key.get(f"{a}\x1f{t}")
        if candidates:
            return self._pick(candidates, album, duration_s, strict=strict)
        # "Artist A & Artist B" in one service, "Artist A" in the other: accept a unique
        # same-title track whose artist is a whole-word prefix of the listen's, or vice versa.
        hits = [
            tid
            for lib_artist, tid in self.by_title.get(t, ())
            if lib_artist
            and a
            and (a.startswith(lib_artist + " ") or lib_artist.startswith(a + " "))
        ]
        if len(hits) != 1:
            return None
        return self._pick(hits, album, duration_s, strict=strict)

    def _pick(
        self, candidates: list[int], album: str | None, duration_s: float | None, *, strict: bool
    ) -> int | None:
        """The best of same-named tracks: same album, then closest duration, then first."""
        wanted_album = normalise_album(album)
        if strict:
            candidates = [
                tid
                for tid in candidates
                if (not wanted_album or self.albums.get(tid, "") in ("", wanted_album))
                and same_duration(duration_s, self.durations.get(tid))
            ]
            if not candidates:
                return None

        def rank(tid: int) -> tuple[int, int, float]:
            album_differs = bool(wanted_album) and self.albums.get(tid) != wanted_album
            lib_duration = self.durations.get(tid)
            off = abs(lib_duration - duration_s) if duration_s and lib_duration else 0.0
            return (int(album_differs), int(not same_duration(duration_s, lib_duration)), off)

        return min(candidates, key=rank)
