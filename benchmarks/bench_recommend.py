"""Recommender speed at library scale: 100,000 tracks and 1,000,000 SIMULATED plays.

Run: python benchmarks/bench_recommend.py [--tracks 100000] [--plays 1000000] [--runs 5]
Data: `recommender.evaluate.simulate` (a simulation, with synthetic 128-d embeddings), written to a
temporary library database. Prints medians: the item-CF rebuild (beside implicit's BM25 fit on
the same matrix, when installed), `recommend` and radio next-25 warm, a 50-track flow playlist
(beside a plain sort by closeness to the seed), and the process's peak memory.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np


def _median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _keys_normalised_on_load(store) -> list[tuple]:
    """The baseline: what each model load did before the keys were stored (schema 4)."""
    from recommender.library.names import normalise_artist, normalise_title

    rows = store.conn.execute(
        "SELECT id, artist, albumartist, title, album, genre FROM tracks WHERE missing = 0 "
        "ORDER BY id"
    ).fetchall()
    artist_of: dict = {}

    def artist(name):
        key = artist_of.get(name)
        if key is None:
            key = artist_of[name] = normalise_artist(name)
        return key

    return [(r[0], artist(r[1] or r[2]), normalise_title(r[3]), artist(r[2] or r[1])) for r in rows]


def main() -> None:
    from recommender.discovery.closeness import closeness
    from recommender.discovery.flow import generate_playlist
    from recommender.discovery.item_cf import build_item_neighbours, session_matrix
    from recommender.discovery.radio import Radio, RadioSeed
    from recommender.discovery.recommend import recommend
    from recommender.discovery.taste_model import load_taste_model
    from recommender.evaluate.simulate import simulate, write_to_store
    from recommender.library.store import open_store
    from recommender.library.tracks import present_key_rows

    parser = argparse.ArgumentParser()
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--plays", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        sim = simulate(args.tracks, args.plays, max(100, args.plays // 200), embedding_dim=args.dim)
        store = open_store(Path(tmp))
        write_to_store(store, sim)
        setup_s = time.perf_counter() - started
        print(
            f"setup (simulate + write {args.tracks:,} tracks, {args.plays:,} plays): "
            f"{setup_s:.1f} s"
        )

        load_ms = _median_ms(lambda: load_taste_model(store), max(1, args.runs // 2))
        keys_ms = _median_ms(lambda: present_key_rows(store), args.runs)
        names_ms = _median_ms(lambda: _keys_normalised_on_load(store), args.runs)
        model = load_taste_model(store)
        sessions = session_matrix(model.plays, model.n_tracks, now=model.now)
        matrix_ms = _median_ms(
            lambda: session_matrix(model.plays, model.n_tracks, now=model.now), args.runs
        )
        cf_ms = _median_ms(lambda: build_item_neighbours(sessions), args.runs)
        pearson_ms = _median_ms(
            lambda: build_item_neighbours(sessions, method="pearson"), args.runs
        )
        baseline = "-"
        try:
            import scipy.sparse as sp
            from implicit.nearest_neighbours import CosineRecommender

            # implicit transposes our CSR itself (about 4 ms, inside its timed fit) and warns
            warnings.filterwarnings("ignore", message="Method expects CSR input")

            positive = sp.csr_matrix(sessions.maximum(0))
            positive.eliminate_zeros()
            fit_ms = _median_ms(
                lambda: CosineRecommender(K=50).fit(positive, show_progress=False), args.runs
            )
            baseline = (
                f"{fit_ms:,.0f} ms (implicit CosineRecommender(K=50) fit); ours "
                f"{cf_ms / fit_ms:.2f}x, target < 2x"
            )
        except ImportError:
            baseline = "implicit not installed: no baseline"
        rows.append(("read plays+tracks+embeddings from SQLite", f"{load_ms:,.0f} ms", "-"))
        rows.append(
            (
                "  of which: the tracks' name keys, stored (schema 5)",
                f"{keys_ms:,.0f} ms",
                f"{names_ms:,.0f} ms (names read and normalised on load, as before)",
            )
        )
        rows.append(("CF rebuild: sessions matrix", f"{matrix_ms:,.0f} ms", "-"))
        rows.append(("CF rebuild: cosine top-50 neighbours", f"{cf_ms:,.0f} ms", baseline))
        rows.append(("CF rebuild: pearson top-50 neighbours", f"{pearson_ms:,.0f} ms", "-"))
        model.set_neighbours(build_item_neighbours(sessions))

        def end_to_end() -> None:
            load_taste_model(store).neighbours  # noqa: B018 - building is the point

        full_ms = _median_ms(end_to_end, max(1, args.runs // 2))
        full_base = baseline
        if "implicit CosineRecommender" in baseline:

            def implicit_end_to_end() -> None:
                plays = load_taste_model(store).plays  # the same read
                m = session_matrix(plays, model.n_tracks, now=model.now)
                pos = sp.csr_matrix(m.maximum(0))
                pos.eliminate_zeros()
                CosineRecommender(K=50).fit(pos, show_progress=False)

            implicit_ms = _median_ms(implicit_end_to_end, max(1, args.runs // 2))
            full_base = (
                f"{implicit_ms:,.0f} ms (same read + implicit fit); ours "
                f"{full_ms / implicit_ms:.2f}x, target < 2.5x"
            )
        rows.append(
            ("CF rebuild end to end (read + sessions + cosine)", f"{full_ms:,.0f} ms", full_base)
        )
        nb = model.neighbours.matrix
        plays = model.plays
        play_arrays = (plays.item, plays.started_at, plays.completed, plays.skipped, plays.seconds)
        vectors_bytes = model.vectors.nbytes if model.vectors is not None else 0
        neighbour_bytes = nb.data.nbytes + nb.indices.nbytes + nb.indptr.nbytes
        model_mb = (neighbour_bytes + vectors_bytes + sum(a.nbytes for a in play_arrays)) / 2**20
        rows.append(
            (
                "taste model arrays in memory (neighbours, vectors, plays)",
                f"{model_mb:,.0f} MB",
                "-",
            )
        )

        recommend(store, 20, model=model)  # warm
        rec_ms = _median_ms(lambda: recommend(store, 20, model=model), args.runs * 4)
        most_played_ms = _median_ms(
            lambda: store.conn.execute(
                "SELECT track_id, count(*) c FROM plays WHERE skipped = 0 GROUP BY track_id "
                "ORDER BY c DESC LIMIT 20"
            ).fetchall(),
            args.runs,
        )
        rows.append(
            (
                "recommend n=20 (warm model)",
                f"{rec_ms:.1f} ms",
                f"{most_played_ms:.0f} ms (SQL most-played)",
            )
        )
        some_track = int(model.track_ids[int(model.plays.item[-1])])

        def after_a_play() -> None:
            model.note_play(some_track, model.now + 1, 200.0, completed=True, skipped=False)
            recommend(store, 20, model=model)

        fresh_ms = _median_ms(after_a_play, args.runs * 4)
        rows.append(
            ("recommend n=20 just after a new play (profile recomputed)", f"{fresh_ms:.1f} ms", "-")
        )

        rng = np.random.default_rng(1)
        played = np.unique(model.plays.item)
        seeds = rng.choice(played, args.runs * 4, replace=False)
        create_ms = _median_ms(
            lambda: Radio(
                store, RadioSeed("track", "bench", (int(model.track_ids[seeds[0]]),)), model=model
            ),
            args.runs,
        )
        radios = iter(
            [
                Radio(
                    store,
                    RadioSeed("track", "bench", (int(model.track_ids[s]),)),
                    model=model,
                    random_seed=0,
                )
                for s in seeds
            ]
        )
        radio_ms = _median_ms(lambda: next(radios).next(25), len(seeds))
        sound_top = _median_ms(
            lambda: np.argpartition(-(model.vectors @ model.vectors[seeds[0]]), 25)[:25],
            args.runs * 4,
        )
        rows.append(("radio: start from a track (pool)", f"{create_ms:.1f} ms", "-"))
        rows.append(
            (
                "radio next 25 (warm)",
                f"{radio_ms:.1f} ms",
                f"{sound_top:.1f} ms (sound top-25, no rules)",
            )
        )

        seed_iter = iter(seeds.tolist())
        flow_ms = _median_ms(lambda: generate_playlist(model, [next(seed_iter)], 50), args.runs)
        s0 = int(seeds[0])

        def plain_sort() -> None:
            pool = np.arange(model.n_tracks)
            np.argsort(-closeness(model, np.array([s0]), pool))[:50]

        rows.append(
            (
                "flow playlist, 50 tracks",
                f"{flow_ms:.1f} ms",
                f"{_median_ms(plain_sort, args.runs):.0f} ms (sort whole library by closeness)",
            )
        )
        store.close()

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows.append(("peak memory (max RSS, whole run)", f"{peak_mb:,.0f} MB", "-"))
    width = max(len(r[0]) for r in rows)
    print(f"{'what':<{width}}  {'median':>10}  baseline (same run)")
    for what, value, base in rows:
        print(f"{what:<{width}}  {value:>10}  {base}")


if __name__ == "__main__":
    main()
