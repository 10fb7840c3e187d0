"""Recommendations that may come from the remote service, but never depend on it.

`recommend_with_fallback` always returns an answer and says which source gave it: the remote
service, the local engine, or both blended. Any remote failure (off, no token, unreachable,
slow, garbage) falls back to the local engine in the same call, and the reason is logged and
returned. It blocks for at most the client's total timeout: the GUI calls it from a worker.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

from recommender.core.errors import RemoteError, TonearmError
from recommender.core.settings import Settings
from recommender.discovery.recommendation import (
    SOURCE_BLENDED,
    SOURCE_LOCAL,
    SOURCE_REMOTE,
    Recommendation,
)
from recommender.history.plays import dismissed_ids, most_played_ids
from recommender.library.names import normalise_artist
from recommender.library.store import Store
from recommender.library.tracks import Track, get_tracks, track_by_mbid, tracks_with_artist_word
from recommender.remote.client import CircuitBreaker, RemoteClient, RemoteRequest, build_request
from recommender.remote.protocol import RemoteAnswer, normalise_artist_title
from recommender.remote.settings import get_token

LocalRecommender = Callable[..., list[Recommendation]]
"""`local_fn(store, n=...) -> list[Recommendation]`, e.g. `discovery.recommend.recommend`."""

OVERFETCH = 3
"""Ask the service for this many times n items: only some will be in the user's library."""
log = logging.getLogger(__name__)


class RemoteOutcome(NamedTuple):
    """What a recommendation call returns: the list, who answered, and why (in words)."""

    recommendations: list[Recommendation]
    source: str
    reason: str


def default_local_recommender() -> LocalRecommender:
    """The local engine, imported only when needed so this module works before it exists."""
    try:
        from recommender.discovery.recommend import recommend
    except ImportError:
        log.info("discovery.recommend is not available; using most-played as the local answer")
        return most_played
    return recommend


def most_played(store: Store, n: int = 20) -> list[Recommendation]:
    """A stand-in local engine: the most often completed tracks, for when none is installed."""
    ids = most_played_ids(store, n)
    tracks = get_tracks(store, ids)
    return [
        Recommendation(score=1.0 / (rank + 1), reasons=("one of your most played",), track=track)
        for rank, track in enumerate(tracks[i] for i in ids if i in tracks)
    ]


# --- matching answers to the library -----------------------------------------------------------


def _first_word(key_part: str) -> str:
    words = key_part.split()
    return max(words, key=len) if words else ""


def _candidates(store: Store, artist: str) -> list[Track]:
    """Library tracks whose artist contains the answer's longest artist word (a cheap prefilter)."""
    word = _first_word(normalise_artist(artist))
    if not word:
        return []
    return tracks_with_artist_word(store, word)


def match_answer(store: Store, answer: RemoteAnswer) -> list[Recommendation]:
    """Items in the library (MusicBrainz id, then artist + title) play; the rest "discover"."""
    dismissed = dismissed_ids(store)
    by_artist: dict[str, dict[str, Track]] = {}
    seen: set[int] = set()
    out: list[Recommendation] = []
    for item in answer.items:
        track = None
        if item.mbid:
            track = track_by_mbid(store, item.mbid)
        if track is None:
            index = by_artist.get(item.artist)
            if index is None:
                index = {}
                for cand in _candidates(store, item.artist):
                    index.setdefault(normalise_artist_title(cand.artist, cand.title), cand)
                by_artist[item.artist] = index
            track = index.get(normalise_artist_title(item.artist, item.title))
        if track is not None and (track.id in dismissed or track.id in seen):
            continue
        if track is not None:
            seen.add(track.id)
        out.append(
            Recommendation(
                score=item.score,
                reasons=(item.reason or f"suggested by {answer.model_name}",),
                track=track,
                artist=item.artist,
                title=item.title,
                mb_recording_id=item.mbid,
                source=SOURCE_REMOTE,
                extra={"model": answer.model_name, "model_version": answer.model_version},
            )
        )
    return out


# --- the preview and the call ---------------------------------------------------------------------


def preview_request(
    store: Store,
    settings: Settings,
    n: int = 20,
    *,
    endpoint: str | None = None,
    data_dir: Path | None = None,
) -> RemoteRequest:
    """The request `recommend_with_fallback(store, settings, n)` would send now, sending nothing.

    Show `.preview()` (HTTP text, token hidden) or `.payload` (the JSON body) in the settings.
    """
    token = get_token(data_dir or store.path.parent)
    return build_request(store, settings, token, k=n * OVERFETCH, endpoint=endpoint)


# --- the call ------------------------------------------------------------------------------------


def recommend_with_fallback(
    store: Store,
    settings: Settings,
    n: int = 20,
    *,
    local_fn: LocalRecommender | None = None,
    seeds: Sequence[Track] | None = None,
    endpoint: str | None = None,
    token: str | None = None,
    client: RemoteClient | None = None,
    breaker: CircuitBreaker | None = None,
    data_dir: Path | None = None,
) -> RemoteOutcome:
    """Up to n playable recommendations (remote first, topped up locally) plus "discover" items.

    `endpoint` (from `recommend --endpoint URL`) asks that address for this one call even while
    the switch is off: the user asked for it explicitly. The token comes from `token`, else the
    keyring or token file; the breaker defaults to one persisted in the store.
    """
    local_fn = local_fn or default_local_recommender()
    if not (settings.remote_enabled or endpoint):
        return _local(store, local_fn, n, "remote recommendations are off")
    breaker = breaker or CircuitBreaker(store)
    blocked = breaker.blocked()
    if blocked:
        return _local(store, local_fn, n, blocked)
    try:
        if token is None:
            token = get_token(data_dir or store.path.parent)
        request = build_request(
            store, settings, token, k=n * OVERFETCH, seeds=seeds, endpoint=endpoint
        )
        own_client = client is None
        client = client or RemoteClient()
        try:
            answer = client.recommend(request, k=request.payload["k"])
        finally:
            if own_client:
                client.close()
    except TonearmError as exc:
        if isinstance(exc, RemoteError):
            breaker.record_failure()
        return _local(store, local_fn, n, str(exc))
    except Exception as exc:  # a bug must not cost the user their recommendations
        log.exception("remote recommendations failed unexpectedly")
        breaker.record_failure()
        return _local(store, local_fn, n, f"unexpected error: {exc!r}")
    breaker.record_success()
    return _blend(store, local_fn, n, answer, match_answer(store, answer))


def _local(store: Store, local_fn: LocalRecommender, n: int, reason: str) -> RemoteOutcome:
    log.warning("answering locally: %s", reason)
    return RemoteOutcome(list(local_fn(store, n=n)), SOURCE_LOCAL, reason)


def _blend(
    store: Store,
    local_fn: LocalRecommender,
    n: int,
    answer: RemoteAnswer,
    remote: list[Recommendation],
) -> RemoteOutcome:
    """Remote matches first; local picks fill the playable list up to n; discover items last."""
    playable = [r for r in remote if r.track is not None][:n]
    discover = [r for r in remote if r.track is None][:n]
    model = f"{answer.model_name} {answer.model_version}"
    if len(playable) >= n:
        return RemoteOutcome(playable + discover, SOURCE_REMOTE, f"answered by {model}")
    taken = {r.track.id for r in playable if r.track is not None}
    try:
        local = [r for r in local_fn(store, n=n) if r.track is None or r.track.id not in taken]
    except TonearmError as exc:
        log.warning("local top-up failed: %s", exc)
        local = []
    fill = local[: n - len(playable)]
    if not fill:
        return RemoteOutcome(playable + discover, SOURCE_REMOTE, f"answered by {model}")
    reason = (
        f"{len(playable)} from {model} found in your library, {len(fill)} from the local engine"
    )
    return RemoteOutcome(playable + fill + discover, SOURCE_BLENDED, reason)
