"""A listening simulator for tests, evaluation and benchmarks. It is a SIMULATION, not real data.

Simulated listeners have tastes over clusters of tracks: genres, each split into "scenes" of
related artists. A session picks a genre and a scene from the listener's taste and plays mostly
from that scene, sometimes from elsewhere in the genre, and sometimes something random; random
picks are skipped far more often. Track popularity is skewed (a few tracks get most plays).

The sound embeddings are SYNTHESISED, not computed from audio: a genre direction plus smaller
scene, artist and track offsets, so "sounds alike" correlates with the genre strongly and with
the scene only weakly. Numbers measured on this data say how the methods compare on such
structure; they are not a claim about real listeners.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recommender.discovery.item_cf import PlayArrays
from recommender.library.names import NAME_KEY_COLUMNS, name_keys
from recommender.library.store import Store

GENRE_NAMES = (
    "Rock", "Jazz", "Electronic", "Classical", "Hip-Hop", "Folk", "Ambient", "Blues", "Soul",
    "Metal", "Pop", "Reggae", "Country", "Punk", "Funk", "Latin", "Techno", "House",
)  # fmt: skip
SIM_EPOCH_S = 1_700_000_000.0
"""Simulated time ends here (November 2023) unless told otherwise."""
SESSION_REST_MIN_S = 2 * 3600.0
"""Rest between one listener's sessions: at least this, plus an exponential extra."""


@dataclass
class SimulatedLibrary:
    """Tracks (parallel arrays, row = track), their synthetic embeddings and the plays."""

    artist: list[str]
    title: list[str]
    album: list[str]
    genre: list[str]
    duration: np.ndarray  # float64 seconds
    genre_idx: np.ndarray
    scene_idx: np.ndarray  # global scene number
    artist_idx: np.ndarray
    popularity: np.ndarray
    embeddings: np.ndarray  # (n, dim) float32 unit rows: synthesised, correlated with clusters
    plays: PlayArrays  # with `user` = listener
    seconds_played: np.ndarray

    @property
    def n_tracks(self) -> int:
        return len(self.title)


def simulate(
    n_tracks: int = 5000,
    n_plays: int = 100_000,
    n_listeners: int = 400,
    *,
    n_genres: int = 12,
    scenes_per_genre: int = 8,
    tracks_per_artist: int = 12,
    mean_session_len: float = 10.0,
    popularity_exponent: float = 1.0,
    p_scene: float = 0.7,
    p_genre: float = 0.2,
    embedding_dim: int = 32,
    seed: int = 0,
    end_time: float = SIM_EPOCH_S,
) -> SimulatedLibrary:
    """Generate a library and a listening history (vectorised: 1M plays take a few seconds)."""
    rng = np.random.default_rng(seed)
    n_genres = min(n_genres, len(GENRE_NAMES))
    n_scenes = n_genres * scenes_per_genre
    n_artists = max(n_scenes, n_tracks // tracks_per_artist)
    artist_scene = np.sort(
        np.concatenate((np.arange(n_scenes), rng.integers(0, n_scenes, n_artists - n_scenes)))
    )
    artist_idx = np.sort(
        np.concatenate((np.arange(n_artists), rng.integers(0, n_artists, n_tracks - n_artists)))
    )[:n_tracks]
    scene_idx = artist_scene[artist_idx]
    genre_idx = scene_idx // scenes_per_genre
    # Popularity: a Zipf-like skew over a random order of tracks.
    ranks = rng.permutation(n_tracks) + 1
    popularity = ranks.astype(np.float64) ** -popularity_exponent
    popularity /= popularity.sum()

    embeddings = _embeddings(
        rng, genre_idx, scene_idx, artist_idx, n_genres, n_scenes, n_artists, embedding_dim
    )
    plays, seconds, durations = _listen(
        rng, n_plays, n_listeners, genre_idx, scene_idx, popularity, n_genres,
        scenes_per_genre, mean_session_len, p_scene, p_genre, end_time,
    )  # fmt: skip
    track_in_artist = (np.arange(n_tracks) - np.searchsorted(artist_idx, artist_idx)).tolist()
    pairs = list(zip(track_in_artist, artist_idx.tolist(), strict=True))
    return SimulatedLibrary(
        artist=[f"Sim Artist {a:05d}" for _, a in pairs],
        title=[f"Song {i + 1} of {a:05d}" for i, a in pairs],
        album=[f"Album {i // 10 + 1} of {a:05d}" for i, a in pairs],
        genre=[GENRE_NAMES[g] for g in genre_idx.tolist()],
        duration=durations,
        genre_idx=genre_idx,
        scene_idx=scene_idx,
        artist_idx=artist_idx,
        popularity=popularity,
        embeddings=embeddings,
        plays=plays,
        seconds_played=seconds,
    )  # fmt: skip


def _embeddings(rng, genre_idx, scene_idx, artist_idx, n_genres, n_scenes, n_artists, dim):
    """Synthetic "sound": genre direction + weaker scene, artist and track offsets."""
    genre_vec = rng.normal(size=(n_genres, dim))
    scene_vec = rng.normal(size=(n_scenes, dim)) * 0.45
    artist_vec = rng.normal(size=(n_artists, dim)) * 0.45
    noise = rng.normal(size=(len(genre_idx), dim)) * 0.6
    vec = genre_vec[genre_idx] + scene_vec[scene_idx] + artist_vec[artist_idx] + noise
    vec /= np.linalg.norm(vec, axis=1, keepdims=True)
    return vec.astype(np.float32)


def _listen(
    rng, n_plays, n_listeners, genre_idx, scene_idx, popularity, n_genres, scenes_per_genre,
    mean_len, p_scene, p_genre, end_time,
):  # fmt: skip
    n_tracks = len(genre_idx)
    durations = rng.uniform(120.0, 360.0, n_tracks)
    # Tracks sorted by scene (and so by genre): each scene and genre is one contiguous segment.
    by_scene = np.argsort(scene_idx, kind="stable")
    cum = np.cumsum(popularity[by_scene])
    scene_sorted = scene_idx[by_scene]
    n_scenes = n_genres * scenes_per_genre
    scene_start = np.searchsorted(scene_sorted, np.arange(n_scenes))
    scene_end = np.searchsorted(scene_sorted, np.arange(n_scenes), side="right")
    genre_start = scene_start[np.arange(n_genres) * scenes_per_genre]
    genre_end = scene_end[np.arange(n_genres) * scenes_per_genre + scenes_per_genre - 1]
    base = np.concatenate(([0.0], cum))

    # Tastes: a few favourite genres, and favourite scenes inside each.
    genre_taste = rng.dirichlet(np.full(n_genres, 0.15), n_listeners)
    scene_taste = rng.dirichlet(np.full(scenes_per_genre, 0.3), (n_listeners, n_genres))
    activity = rng.pareto(1.5, n_listeners) + 1.0
    activity /= activity.sum()

    lengths = np.clip(rng.geometric(1.0 / mean_len, int(n_plays / mean_len * 1.3) + 10), 2, 60)
    lengths = lengths[: np.searchsorted(np.cumsum(lengths), n_plays) + 1]
    lengths[-1] -= max(0, int(lengths.sum()) - n_plays)
    lengths = lengths[lengths > 0]
    n_sessions = len(lengths)
    listener = np.searchsorted(np.cumsum(activity), rng.random(n_sessions) * activity.sum())
    listener = np.minimum(listener, n_listeners - 1)
    genre = _pick_rows(rng, genre_taste[listener])
    scene_local = _pick_rows(rng, scene_taste[listener, genre])
    scene = genre * scenes_per_genre + scene_local

    session_of = np.repeat(np.arange(n_sessions), lengths)
    u = rng.random(len(session_of))
    source = np.where(u < p_scene, 0, np.where(u < p_scene + p_genre, 1, 2))
    s_scene = scene[session_of]
    s_genre = genre[session_of]
    lo = np.where(source == 0, scene_start[s_scene], np.where(source == 1, genre_start[s_genre], 0))
    hi = np.where(
        source == 0, scene_end[s_scene], np.where(source == 1, genre_end[s_genre], n_tracks)
    )
    target = base[lo] + rng.random(len(lo)) * (base[hi] - base[lo])
    pos = np.clip(np.searchsorted(cum, target), lo, hi - 1)
    item = by_scene[pos].astype(np.int32)

    p_skip = np.array([0.06, 0.3, 0.65])[source]
    skipped = rng.random(len(item)) < p_skip
    completed = ~skipped & (rng.random(len(item)) < 0.85)
    seconds = np.where(skipped, rng.uniform(3.0, 25.0, len(item)), durations[item])
    seconds = np.where(
        ~skipped & ~completed, durations[item] * rng.uniform(0.5, 0.85, len(item)), seconds
    )

    # Time: each listener's sessions follow one another with rests; plays within a session
    # follow one another by what was played.
    sess_order = np.lexsort((np.arange(n_sessions), listener))
    sess_len_s = np.bincount(session_of, weights=seconds, minlength=n_sessions)
    rest = SESSION_REST_MIN_S + rng.exponential(86400.0, n_sessions)
    step = (rest + sess_len_s)[sess_order]
    cumstep = np.cumsum(step)
    first_of_listener = np.searchsorted(listener[sess_order], listener[sess_order])
    offset_sorted = cumstep - np.concatenate(([0.0], cumstep))[first_of_listener]
    start = np.empty(n_sessions)
    start[sess_order] = offset_sorted
    listener_span = np.zeros(n_listeners)
    np.maximum.at(listener_span, listener, start)
    start = end_time - (listener_span[listener] - start) - sess_len_s
    within = np.cumsum(seconds) - seconds
    within -= np.concatenate(([0.0], np.cumsum(sess_len_s)))[session_of]
    started_at = start[session_of] + within
    plays = PlayArrays(
        item, started_at, completed, skipped, listener[session_of].astype(np.int32), seconds
    )
    return plays, seconds, durations


def _pick_rows(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One categorical draw per row of `probs`."""
    cum = np.cumsum(probs, axis=1)
    draws = rng.random(len(probs))[:, None] * cum[:, -1:]
    return np.minimum((cum < draws).sum(axis=1), probs.shape[1] - 1)


def one_listener_timeline(sim: SimulatedLibrary, gap_s: float = 2400.0) -> np.ndarray:
    """Start times that lay every session end to end, as if one person had listened to all of
    them (used to fill one library's history); keeps the session boundaries."""
    from recommender.discovery.item_cf import session_ids

    order, session = session_ids(sim.plays)
    secs = sim.seconds_played[order]
    session_secs = np.bincount(session, weights=secs)
    session_start = np.concatenate(([0.0], np.cumsum(session_secs + gap_s)))[:-1]
    within = np.cumsum(secs) - secs
    within -= np.concatenate(([0.0], np.cumsum(session_secs)))[session]
    out = np.empty(len(order))
    out[order] = session_start[session] + within
    return out - out.max() + SIM_EPOCH_S


def write_to_store(
    store: Store,
    sim: SimulatedLibrary,
    *,
    root: str = "/sim",
    model_version: str | None = "sim-1",
    with_plays: bool = True,
) -> np.ndarray:
    """Insert the simulated tracks (and plays, on one listener's timeline, and the synthetic
    embeddings under `model_version`); returns the track ids by simulator row."""
    now = time.time()
    first = int(store.conn.execute("SELECT coalesce(max(id), 0) + 1 FROM tracks").fetchone()[0])
    ids = np.arange(first, first + sim.n_tracks, dtype=np.int64)
    rows = [
        (int(ids[i]), f"{root}/{sim.artist[i]}/{sim.album[i]}/{sim.title[i]}.flac", 1000 + i, now,
         "flac", float(sim.duration[i]), sim.title[i], sim.artist[i], sim.album[i], sim.artist[i],
         sim.genre[i], now, now, *name_keys(sim.artist[i], sim.artist[i], sim.title[i]))
        for i in range(sim.n_tracks)
    ]  # fmt: skip
    with store.transaction() as conn:
        conn.executemany(
            "INSERT INTO tracks(id, path, size, mtime, format, duration, title, artist, album, "
            f"albumartist, genre, added_at, updated_at, {', '.join(NAME_KEY_COLUMNS)}) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        if model_version:
            dim = sim.embeddings.shape[1]
            conn.executemany(
                "INSERT INTO embeddings(track_id, model_version, dim, vector, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [
                    (
                        int(ids[i]),
                        model_version,
                        dim,
                        sim.embeddings[i].astype("<f4").tobytes(),
                        now,
                    )
                    for i in range(sim.n_tracks)
                ],
            )
        if with_plays:
            started = one_listener_timeline(sim)
            conn.executemany(
                "INSERT OR IGNORE INTO plays(track_id, started_at, seconds_played, completed, "
                "skipped, context) VALUES (?, ?, ?, ?, ?, 'library')",
                zip(
                    ids[sim.plays.item].tolist(),
                    started.tolist(),
                    sim.seconds_played.tolist(),
                    sim.plays.completed.astype(int).tolist(),
                    sim.plays.skipped.astype(int).tolist(),
                    strict=True,
                ),
            )
    return ids


def write_listens_jsonl(sim: SimulatedLibrary, path: Path) -> None:
    """The plays as ListenBrainz-style JSONL, one listener per `user_name`; skips included with
    their seconds played (`additional_info.seconds_played`) so evaluation can tell them apart."""
    users = sim.plays.user
    if users is None:
        raise ValueError("a simulation always has listener ids")
    with path.open("w", encoding="utf-8") as fh:
        for i in np.argsort(sim.plays.started_at, kind="stable").tolist():
            t = int(sim.plays.item[i])
            fh.write(
                json.dumps(
                    {
                        "user_name": f"listener{int(users[i])}",
                        "listened_at": round(float(sim.plays.started_at[i]), 1),
                        "track_metadata": {
                            "artist_name": sim.artist[t],
                            "track_name": sim.title[t],
                            "release_name": sim.album[t],
                            "additional_info": {
                                "duration_ms": int(sim.duration[t] * 1000),
                                "seconds_played": round(float(sim.seconds_played[i]), 1),
                                "tags": [sim.genre[t]],
                            },
                        },
                    }
                )
                + "\n"
            )


def write_embeddings_npz(sim: SimulatedLibrary, path: Path) -> None:
    """The synthetic embeddings keyed by artist and title, for `evaluate history --embeddings`."""
    np.savez_compressed(
        path,
        artist=np.array(sim.artist),
        title=np.array(sim.title),
        vectors=sim.embeddings,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m recommender.evaluate.simulate",
        description="Write a SIMULATED listening history (listens.jsonl) and synthetic "
        "embeddings (embeddings.npz) for evaluation.",
    )
    parser.add_argument("--out", type=Path, help="folder for listens.jsonl and embeddings.npz")
    parser.add_argument(
        "--library",
        type=Path,
        metavar="DATA_DIR",
        help="also fill a Tonearm data folder with the simulated tracks, plays and embeddings "
        "(rows only: no audio files exist)",
    )
    parser.add_argument("--tracks", type=int, default=5000)
    parser.add_argument("--plays", type=int, default=150_000)
    parser.add_argument("--listeners", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.out is None and args.library is None:
        parser.error("give --out FOLDER and/or --library DATA_DIR")
    sim = simulate(args.tracks, args.plays, args.listeners, seed=args.seed)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        write_listens_jsonl(sim, args.out / "listens.jsonl")
        write_embeddings_npz(sim, args.out / "embeddings.npz")
        print(f"wrote {len(sim.plays):,} simulated plays of {sim.n_tracks:,} tracks to {args.out}")
    if args.library is not None:
        from recommender.library.store import open_store

        with open_store(args.library) as store:
            write_to_store(store, sim)
        print(f"filled {args.library} with {sim.n_tracks:,} simulated tracks and their plays")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
