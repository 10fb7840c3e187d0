"""Next-session evaluation of the history recommenders: `python -m recommender.evaluate history`.

For every listener with two sessions or more, the last session is held out; the rest of
everyone's plays train the models. Each method ranks every item for the listener; items the
listener already played in training are left out (we measure discovery, as `recommend` does);
the targets are the held-out session's non-skipped items that are new to the listener.
Reported: HitRate@K (a target in the top K) and NDCG@K, averaged over listeners.

Methods: popularity, sound-only (centroid of the listener's enjoyed tracks), item-CF (cosine and
Pearson), the blend that `tonearm recommend` uses, and `implicit`'s BM25 item-item
recommender as an outside reference when that package is installed (a dev extra).
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from recommender.core.errors import UsageError
from recommender.discovery.item_cf import (
    PlayArrays,
    build_item_neighbours,
    session_ids,
    session_matrix,
)
from recommender.discovery.recommend import _sound_scores, profile_from_plays, score_tracks
from recommender.discovery.taste_model import TasteModel
from recommender.history.imports import read_listens
from recommender.history.listens import Listen
from recommender.history.plays import is_skip
from recommender.library.names import normalise_artist, recording_key

TOP_K = 10


@dataclass
class Dataset:
    plays: PlayArrays
    artists: list[str]
    keys: list[str]
    vectors: np.ndarray | None  # aligned with items, zeros where none
    has_vector: np.ndarray | None


@dataclass
class Split:
    train: PlayArrays
    users: list[int]
    targets: list[np.ndarray]
    cutoff: list[float]  # the held-out session's start, per user


def dataset_from_listens(listens: list[Listen], embeddings: Path | None = None) -> Dataset:
    """Items by normalised artist + title; a listen with seconds played may be a skip."""
    index: dict[str, int] = {}
    artists: list[str] = []
    users: dict[str, int] = {}
    item, when, done, skip, user = [], [], [], [], []
    for x in listens:
        key = recording_key(x.artist, x.title)
        if not key:
            continue
        if key not in index:
            index[key] = len(index)
            artists.append(normalise_artist(x.artist))
        item.append(index[key])
        when.append(x.listened_at)
        user.append(users.setdefault(x.user or "", len(users)))
        skipped = (
            x.skipped
            if x.skipped is not None
            # the file says (a Rockbox "S")
            else (x.seconds_played is not None and is_skip(x.seconds_played, x.duration_s))
        )
        skip.append(skipped)
        done.append(not skipped and (x.seconds_played is None or x.duration_s is None
                                     or x.seconds_played >= 0.9 * x.duration_s))  # fmt: skip
    plays = PlayArrays(
        np.array(item, np.int32), np.array(when, np.float64), np.array(done, bool),
        np.array(skip, bool), np.array(user, np.int32),
    )  # fmt: skip
    keys = list(index)
    vectors = has_vector = None
    if embeddings is not None:
        data = np.load(embeddings)
        vectors = np.zeros((len(keys), data["vectors"].shape[1]), np.float32)
        has_vector = np.zeros(len(keys), bool)
        for a, t, v in zip(
            data["artist"].tolist(), data["title"].tolist(), data["vectors"], strict=True
        ):
            row = index.get(recording_key(a, t))
            if row is not None:
                vectors[row] = v / max(np.linalg.norm(v), 1e-9)
                has_vector[row] = True
    return Dataset(plays, artists, keys, vectors, has_vector)


def _users(plays: PlayArrays) -> np.ndarray:
    """The listener of each play (evaluation data always has several listeners)."""
    if plays.user is None:
        raise ValueError("these plays carry no listener ids")
    return plays.user


def split_last_session(plays: PlayArrays) -> Split:
    """Hold out each listener's last session (when it has something new to them)."""
    order, session = session_ids(plays)
    users_sorted = _users(plays)[order]
    last_session_of_user: dict[int, int] = {}
    first_session_of_user: dict[int, int] = {}
    for u, s in zip(users_sorted.tolist(), session.tolist(), strict=True):
        last_session_of_user[u] = s
        first_session_of_user.setdefault(u, s)
    session_of_play = np.empty(len(plays), np.int64)
    session_of_play[order] = session
    last = np.array([last_session_of_user[u] for u in _users(plays).tolist()])
    first = np.array([first_session_of_user[u] for u in _users(plays).tolist()])
    held = (session_of_play == last) & (last != first)
    train = plays.subset(~held)
    users, targets, cutoff = [], [], []
    seen_by_user: dict[int, set[int]] = {}
    for u, i in zip(_users(train).tolist(), train.item.tolist(), strict=True):
        seen_by_user.setdefault(u, set()).add(i)
    test = plays.subset(held & ~plays.skipped)
    start: dict[int, float] = {}
    for u, t in zip(_users(plays)[held].tolist(), plays.started_at[held].tolist(), strict=True):
        start[u] = min(start.get(u, t), t)
    by_user: dict[int, set[int]] = {}
    for u, i in zip(_users(test).tolist(), test.item.tolist(), strict=True):
        if i not in seen_by_user.get(u, ()):
            by_user.setdefault(u, set()).add(i)
    for u in sorted(by_user):
        users.append(u)
        targets.append(np.array(sorted(by_user[u])))
        cutoff.append(start[u])
    return Split(train, users, targets, cutoff)


def _metrics(
    scores: np.ndarray, seen: np.ndarray, targets: np.ndarray, k: int
) -> tuple[float, float]:
    scores = scores.astype(np.float64).copy()
    scores[seen] = -np.inf
    top = np.argpartition(-scores, k)[:k]
    top = top[np.argsort(-scores[top], kind="stable")]
    hits = np.isin(top, targets)
    dcg = float((hits / np.log2(np.arange(2, k + 2))).sum())
    idcg = float((1 / np.log2(np.arange(2, min(len(targets), k) + 2))).sum())
    return float(hits.any()), dcg / idcg


def evaluate(
    data: Dataset, *, k: int = TOP_K, max_users: int | None = None
) -> list[dict[str, object]]:
    """One row per method: name, HitRate@k, NDCG@k, users, fit seconds."""
    split = split_last_session(data.plays)
    n = len(data.keys)
    now = float(split.train.started_at.max())
    t0 = time.perf_counter()
    sessions = session_matrix(split.train, n, now=now)
    cosine = build_item_neighbours(sessions, method="cosine")
    fit_cf = time.perf_counter() - t0
    t0 = time.perf_counter()
    pearson = build_item_neighbours(sessions, method="pearson")
    fit_pearson = time.perf_counter() - t0
    model = TasteModel(
        track_ids=np.arange(n, dtype=np.int64), artist_keys=data.artists, recording_keys=data.keys,
        album_keys=[""] * n, genres=[""] * n, plays=split.train, vectors=data.vectors,
        has_vector=data.has_vector if data.has_vector is not None else np.zeros(n, bool),
        now=now,
    )  # fmt: skip
    model.set_neighbours(cosine)
    popularity = np.bincount(split.train.item[~split.train.skipped], minlength=n).astype(np.float64)

    methods: dict[str, Callable[[np.ndarray, np.ndarray, int], np.ndarray]] = {
        "popularity": lambda rows, w, u: popularity,
        "item-CF cosine": lambda rows, w, u: cosine.score(rows, w),
        "item-CF pearson": lambda rows, w, u: pearson.score(rows, w),
        "blend (tonearm recommend)": lambda rows, w, u: score_tracks(model, rows, w).total,
    }
    fit = {
        "item-CF cosine": fit_cf,
        "item-CF pearson": fit_pearson,
        "blend (tonearm recommend)": fit_cf,
    }
    if data.vectors is not None:
        methods["sound only"] = lambda rows, w, u: _sound_scores(model, rows, w)
    implicit_model, implicit_fit = _fit_implicit(sessions)
    if implicit_model is not None:
        user_rows = _user_item_rows(split, n)
        fit["implicit BM25 item-item"] = implicit_fit

        def implicit_scores(rows: np.ndarray, w: np.ndarray, u: int) -> np.ndarray:
            liked = user_rows[u]
            ids, vals = implicit_model.recommend(
                0, liked, N=min(n, k + liked.nnz + 1), filter_already_liked_items=True
            )
            out = np.full(n, -1e9)
            out[ids] = vals
            return out

        methods["implicit BM25 item-item"] = implicit_scores

    users = list(range(len(split.users)))
    if max_users is not None and len(users) > max_users:
        users = np.random.default_rng(0).choice(len(users), max_users, replace=False).tolist()
    by_user_plays = _plays_by_user(split.train)
    results = []
    for name, fn in methods.items():
        hr, ndcg = [], []
        for i in users:
            u = split.users[i]
            mine = by_user_plays.get(u)
            if mine is None:
                continue
            rows, w = profile_from_plays(mine, split.cutoff[i])
            seen = np.unique(mine.item)
            h, g = _metrics(fn(rows, w, u), seen, split.targets[i], k)
            hr.append(h)
            ndcg.append(g)
        results.append({
            "method": name, f"hitrate@{k}": float(np.mean(hr)), f"ndcg@{k}": float(np.mean(ndcg)),
            "users": len(hr), "fit_s": round(fit.get(name, 0.0), 3),
        })  # fmt: skip
    return results


def _plays_by_user(plays: PlayArrays) -> dict[int, PlayArrays]:
    order = np.argsort(_users(plays), kind="stable")
    users = _users(plays)[order]
    bounds = np.flatnonzero(np.diff(users)) + 1
    out = {}
    for chunk in np.split(order, bounds):
        if len(chunk):
            out[int(_users(plays)[chunk[0]])] = plays.subset(chunk)
    return out


def _user_item_rows(split: Split, n: int) -> dict[int, sp.csr_matrix]:
    """Each listener's training items (non-skipped plays counted), as one-row CSR matrices."""
    out = {}
    for u, mine in _plays_by_user(split.train).items():
        keep = ~mine.skipped
        counts = np.bincount(mine.item[keep], minlength=n).astype(np.float32)
        out[u] = sp.csr_matrix(counts.reshape(1, -1))
    return out


def _fit_implicit(sessions: sp.csr_matrix):
    """implicit's BM25 item-item on the same session "users" (positive plays only), if installed."""
    try:
        from implicit.nearest_neighbours import BM25Recommender
    except ImportError:
        return None, 0.0
    positive = sessions.copy()
    positive.data = np.where(positive.data > 0, 1.0, 0.0).astype(np.float32)
    positive.eliminate_zeros()
    model = BM25Recommender(K=50)
    t0 = time.perf_counter()
    with warnings.catch_warnings():  # implicit converts its own BM25 weights from COO and says so
        warnings.simplefilter("ignore")
        model.fit(sp.csr_matrix(positive), show_progress=False)
    return model, time.perf_counter() - t0


def format_table(rows: list[dict[str, object]], k: int = TOP_K) -> str:
    lines = [
        f"| method | HitRate@{k} | NDCG@{k} | users | fit s |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['method']} | {r[f'hitrate@{k}']:.3f} | {r[f'ndcg@{k}']:.3f} "
            f"| {r['users']} | {r['fit_s']} |"
        )
    return "\n".join(lines)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "history",
        help="next-session prediction from a listens file (or a simulated one)",
        description=__doc__.split("\n\n")[0],
    )
    parser.add_argument(
        "--listens", type=Path, help="ListenBrainz JSON/JSONL (user_name per listen)"
    )
    parser.add_argument("--embeddings", type=Path, help=".npz with artist, title, vectors")
    parser.add_argument(
        "--simulate", action="store_true",
        help="evaluate on a fresh SIMULATED history with synthetic embeddings instead",
    )  # fmt: skip
    parser.add_argument("--sim-tracks", type=int, default=5000)
    parser.add_argument("--sim-plays", type=int, default=300_000)
    parser.add_argument("--sim-listeners", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=0, help="simulation seed")
    parser.add_argument("--k", type=int, default=TOP_K)
    parser.add_argument("--max-users", type=int, default=None)
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import json

    if args.simulate:
        import tempfile

        from recommender.evaluate.simulate import (
            simulate,
            write_embeddings_npz,
            write_listens_jsonl,
        )

        folder = Path(tempfile.mkdtemp(prefix="tonearm-sim-"))
        sim = simulate(args.sim_tracks, args.sim_plays, args.sim_listeners, seed=args.seed)
        write_listens_jsonl(sim, folder / "listens.jsonl")
        write_embeddings_npz(sim, folder / "embeddings.npz")
        args.listens, args.embeddings = folder / "listens.jsonl", folder / "embeddings.npz"
        print(f"SIMULATED data (not real listeners): {folder}")
    if args.listens is None:
        raise UsageError("give --listens FILE or --simulate")
    listens = read_listens(args.listens).listens
    data = dataset_from_listens(listens, args.embeddings)
    rows = evaluate(data, k=args.k, max_users=args.max_users)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(
            f"{len(listens):,} listens, {len(data.keys):,} items, "
            f"{len(set(_users(data.plays).tolist()))} listeners"
        )
        print(format_table(rows, args.k))
    return 0
