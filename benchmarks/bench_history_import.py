"""Importing listening history: one history from ListenBrainz and from Last.fm, duplicates found.

Run: python benchmarks/bench_history_import.py [--tracks 20000] [--listens 100000] [--plays 200000]
Data: generated here: a library of `--tracks` tracks with `--plays` plays already in it, and
`--listens` listens written as ListenBrainz JSON lines and again as a Last.fm CSV (a few seconds
off). Prints the import of each (the second finds every listen a duplicate within a minute)
beside the baseline: the same plays written with a plain INSERT and no duplicate check.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import tempfile
import time
from pathlib import Path


def main() -> None:
    from recommender.history.imports import IMPORT_CONTEXT_PREFIX, import_listens, read_listens
    from recommender.library.matching import LibraryMatcher
    from recommender.library.store import open_store

    parser = argparse.ArgumentParser()
    parser.add_argument("--tracks", type=int, default=20_000)
    parser.add_argument("--listens", type=int, default=100_000)
    parser.add_argument("--plays", type=int, default=200_000)
    args = parser.parse_args()
    rng = random.Random(3)
    t0 = 1_600_000_000
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        store = open_store(root / "a")
        with store.transaction() as conn:
            conn.executemany(
                "INSERT INTO tracks(path, size, mtime, duration, title, artist, album, added_at, "
                "updated_at) VALUES (?, 1, 0, 200, ?, ?, ?, 0, 0)",
                [(f"/m/{n}.flac", f"Song {n}", f"Artist {n % 997}", f"LP {n % 3001}")
                 for n in range(args.tracks)],
            )  # fmt: skip
            conn.executemany(
                "INSERT INTO plays(track_id, started_at, seconds_played, completed) "
                "VALUES (?, ?, 200, 1)",
                [(rng.randrange(args.tracks) + 1, t0 - 1e8 + n * 300) for n in range(args.plays)],
            )
        store.close()
        picks = [rng.randrange(args.tracks) for _ in range(args.listens)]
        lb, csv = root / "lb.jsonl", root / "lastfm.csv"
        with lb.open("w") as fh:
            for n, song in enumerate(picks):
                meta = {"artist_name": f"Artist {song % 997}", "track_name": f"Song {song}"}
                fh.write(json.dumps({"listened_at": t0 + n * 200, "track_metadata": meta}) + "\n")
        with csv.open("w") as fh:
            fh.write("uts,utc_time,artist,artist_mbid,album,album_mbid,track,track_mbid\n")
            for n, song in enumerate(picks):
                fh.write(f"{t0 + n * 200 + n % 30},x,Artist {song % 997},,,,Song {song},\n")
        shutil.copytree(root / "a", root / "b")

        store = open_store(root / "a")
        started = time.perf_counter()
        first = import_listens(store, lb)
        lb_s = time.perf_counter() - started
        started = time.perf_counter()
        second = import_listens(store, csv)
        csv_s = time.perf_counter() - started
        store.close()

        base = open_store(root / "b")
        started = time.perf_counter()
        found = read_listens(lb)
        matcher = LibraryMatcher.from_store(base)
        rows = [
            (tid, x.listened_at, 200.0, 1, 0, IMPORT_CONTEXT_PREFIX + found.source)
            for x in found.listens
            if (tid := matcher.match(x.artist, x.title, album=x.album)) is not None
        ]
        with base.transaction() as conn:
            conn.executemany(
                "INSERT OR IGNORE INTO plays(track_id, started_at, seconds_played, completed, "
                "skipped, context) VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
        base_s = time.perf_counter() - started
        base.close()
    print(f"{args.listens:,} listens, {args.tracks:,} tracks, {args.plays:,} plays before")
    print(f"{'import':<44}{'seconds':>8}{'added':>9}")
    print(f"{'ListenBrainz JSONL (duplicate check)':<44}{lb_s:>8.2f}{first.added:>9,}")
    print(f"{'same history as Last.fm CSV (all duplicates)':<44}{csv_s:>8.2f}{second.added:>9,}")
    print(f"{'baseline: JSONL, plain INSERT, no check':<44}{base_s:>8.2f}{len(rows):>9,}")


if __name__ == "__main__":
    main()
