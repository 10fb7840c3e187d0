"""The service's CF modes on held-out listens: `python benchmarks/eval_server_cf.py`.

(A script beside the benchmarks, not in `recommender.evaluate`: it needs both the evaluation's
split and the server's model, two entry-point packages that do not import each other.)

SIMULATED listeners (`recommender.evaluate.simulate`): each listener's last session is held out
(`split_last_session`, the same split as `evaluate history`); the rest of everyone's non-skipped
listens train the server model. Each held-out listener then asks the service as Tonearm does:
`seeds` are their 10 most played tracks and `recent` their latest 50 listens, both from the
training part. The answer (k = 100) minus what the listener already played is cut to 10 and
scored against the held-out session's new tracks: HitRate@10 and NDCG@10.

Compared, in one run on one split: item-based CF (the server's neighbours), user-based CF
(nearest listeners by shrunk Pearson), their blend, popularity, and `implicit`'s ALS and BM25
item-item (the dev extra) on the same users x items matrix as outside baselines.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from recommender.evaluate.history import _metrics, split_last_session
from recommender.evaluate.simulate import simulate
from recommender.server.listens import Listen
from recommender.server.model import CF_MODES, build_model

TOP_K = 10
ASK_K = 100
SEEDS = 10
RECENT = 50


def evaluate_server(
    n_tracks: int = 5000,
    n_plays: int = 300_000,
    n_listeners: int = 1500,
    *,
    seed: int = 0,
    max_users: int | None = 800,
    k: int = TOP_K,
) -> list[dict[str, object]]:
    sim = simulate(n_tracks, n_plays, n_listeners, seed=seed)
    split = split_last_session(sim.plays)
    train = split.train.subset(~split.train.skipped)
    listens = [
        Listen(f"listener{u}", sim.artist[i], sim.title[i], None, (sim.genre[i],))
        for u, i in zip(train.user.tolist(), train.item.tolist(), strict=True)
    ]
    t0 = time.perf_counter()
    model = build_model(listens)
    fit_model = time.perf_counter() - t0
    n = sim.n_tracks
    to_sim = {(sim.artist[i], sim.title[i]): i for i in range(n)}

    counts = sp.csr_matrix(
        (np.ones(len(train)), (train.user, train.item)), shape=(int(sim.plays.user.max()) + 1, n)
    )
    counts.sum_duplicates()
    order = np.lexsort((train.started_at, train.user))
    by_user: dict[int, np.ndarray] = {}
    bounds = np.flatnonzero(np.diff(train.user[order])) + 1
    for chunk in np.split(order, bounds):
        if len(chunk):
            by_user[int(train.user[chunk[0]])] = train.item[chunk]  # time order

    def ask(cf: str):
        def scores(u: int) -> np.ndarray:
            mine = by_user[u]
            played = np.bincount(mine, minlength=n)
            last_seen = np.zeros(n)
            last_seen[mine] = np.arange(len(mine))
            top = np.lexsort((-last_seen, -played))[:SEEDS]
            top = top[played[top] > 0]
            seeds = [(sim.artist[i], sim.title[i], None) for i in top.tolist()]
            recent = [(sim.artist[i], sim.title[i], None) for i in mine[-RECENT:].tolist()]
            out = np.full(n, -1e9)
            answer = model.recommend(seeds, recent, k=ASK_K, cf=cf)
            for rank, s in enumerate(answer):
                out[to_sim[s.artist, s.title]] = ASK_K - rank
            return out

        return scores

    methods = {f"{cf} (server --cf {cf})": ask(cf) for cf in CF_MODES}
    fit = dict.fromkeys(methods, fit_model)
    popularity = np.asarray(counts.sum(axis=0)).ravel()
    methods["popularity"] = lambda u: popularity
    weighted = counts.copy()
    weighted.data = np.log1p(weighted.data)
    for name, (fn, seconds) in _implicit_methods(weighted, n).items():
        methods[name] = fn
        fit[name] = seconds

    users = list(range(len(split.users)))
    if max_users is not None and len(users) > max_users:
        users = sorted(np.random.default_rng(0).choice(len(users), max_users, replace=False))
    rows = []
    for name, fn in methods.items():
        hr, ndcg = [], []
        for i in users:
            u = split.users[i]
            if u not in by_user:
                continue
            h, g = _metrics(fn(u), np.unique(by_user[u]), split.targets[i], k)
            hr.append(h)
            ndcg.append(g)
        rows.append(
            {
                "method": name,
                f"hitrate@{k}": float(np.mean(hr)),
                f"ndcg@{k}": float(np.mean(ndcg)),
                "users": len(hr),
                "fit_s": round(fit.get(name, 0.0), 2),
            }
        )
    return rows


def _implicit_methods(weighted: sp.csr_matrix, n: int):
    """implicit's ALS and BM25 on the same users x items matrix, when the package is installed."""
    try:
        from implicit.als import AlternatingLeastSquares
        from implicit.nearest_neighbours import BM25Recommender
    except ImportError:
        return {}
    out = {}
    user_items = sp.csr_matrix(weighted, dtype=np.float32)
    for name, model in (
        (
            "implicit ALS (64 factors)",
            AlternatingLeastSquares(factors=64, iterations=15, random_state=0),
        ),
        ("implicit BM25 item-item", BM25Recommender(K=50)),
    ):
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(user_items, show_progress=False)
        seconds = time.perf_counter() - t0

        def scores(u: int, model=model) -> np.ndarray:
            ids, _ = model.recommend(u, user_items[u], N=ASK_K, filter_already_liked_items=True)
            out_scores = np.full(n, -1e9)
            out_scores[ids] = ASK_K - np.arange(len(ids))
            return out_scores

        out[name] = (scores, seconds)
    return out


def format_table(rows: list[dict[str, object]], k: int = TOP_K) -> str:
    lines = [
        f"| method | HitRate@{k} | NDCG@{k} | listeners | fit s |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['method']} | {r[f'hitrate@{k}']:.3f} | {r[f'ndcg@{k}']:.3f} "
            f"| {r['users']} | {r['fit_s']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tracks", type=int, default=5000)
    parser.add_argument("--plays", type=int, default=300_000)
    parser.add_argument("--listeners", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-users", type=int, default=800)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    rows = evaluate_server(
        args.tracks, args.plays, args.listeners, seed=args.seed, max_users=args.max_users
    )
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(
            f"SIMULATED: {args.plays:,} plays, {args.tracks:,} tracks, "
            f"{args.listeners:,} listeners (seed {args.seed})"
        )
        print(format_table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
