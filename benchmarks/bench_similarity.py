"""Similarity query time at library scale: 100,000 synthetic 128-d unit vectors.

Run: python benchmarks/bench_similarity.py [--tracks 100000] [--queries 200]
Prints medians for the raw cosine top-k and for `similar` (with deduplication and artist cap),
beside a full argsort as the naive baseline.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from recommender.sound.similarity import SimilarityIndex


def _median_ms(fn, queries: np.ndarray) -> float:
    times = []
    for q in queries:
        started = time.perf_counter()
        fn(q)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    matrix = rng.normal(size=(args.tracks, args.dim)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    artists = [f"artist {i % 5000}" for i in range(args.tracks)]
    titles = [f"title {i}" for i in range(args.tracks)]
    ids = np.arange(1, args.tracks + 1, dtype=np.int64)
    started = time.perf_counter()
    index = SimilarityIndex("bench", ids, matrix, artists, titles)
    build_ms = (time.perf_counter() - started) * 1000
    seeds = rng.integers(1, args.tracks + 1, size=args.queries)
    rows = [
        (
            "full argsort (baseline)",
            _median_ms(lambda s: np.argsort(-(matrix @ matrix[s - 1]))[:10], seeds),
        ),
        ("top_k(10)", _median_ms(lambda s: index.top_k(index.vector(int(s)), 10), seeds)),
        ("similar(n=10)", _median_ms(lambda s: index.similar(int(s), 10), seeds)),
        (
            "similar(n=10, max 2/artist)",
            _median_ms(lambda s: index.similar(int(s), 10, max_per_artist=2), seeds),
        ),
    ]
    print(f"{args.tracks:,} tracks x {args.dim} dims float32, {args.queries} queries, median ms")
    print(f"{'index build (ids, dict)':<30}{build_ms:>9.1f}")
    for name, ms in rows:
        print(f"{name:<30}{ms:>9.2f}")


if __name__ == "__main__":
    main()
