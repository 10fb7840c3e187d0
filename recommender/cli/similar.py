"""`tonearm similar TRACK` and `tonearm export embeddings`: use the sound embeddings."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from recommender.cli.context import Context
from recommender.cli.main import subcommand
from recommender.cli.output import print_json
from recommender.core.errors import UsageError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subcommand(
        subparsers,
        "similar",
        help="tracks that sound like TRACK",
        description='TRACK is a track id, a path, or "artist - title".',
    )
    parser.add_argument("track", metavar="TRACK")
    parser.add_argument("-n", type=int, default=10, help="how many (default 10)")
    parser.add_argument(
        "--max-per-artist", type=int, metavar="N", help="at most N tracks by one artist"
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(func=run_similar)

    export = subcommand(subparsers, "export", help="write data out for inspection")
    kinds = export.add_subparsers(dest="what", metavar="WHAT", required=True)
    embeddings = subcommand(
        kinds, "embeddings", help="track ids, paths and sound vectors (.npz or JSON lines)"
    )
    embeddings.add_argument("--out", type=Path, required=True, help="file to write")
    embeddings.add_argument("--format", choices=["npz", "jsonl"], default=None)
    embeddings.set_defaults(func=run_export_embeddings)


def run_similar(args: argparse.Namespace, ctx: Context) -> int:
    from recommender.library.tracks import artist_and_title, get_tracks, resolve_track
    from recommender.sound.similarity import load_index

    if args.n < 1:
        raise UsageError("-n must be at least 1")
    seed = resolve_track(ctx.store, args.track)
    index = load_index(ctx.store)
    neighbours = index.similar(seed.id, args.n, max_per_artist=args.max_per_artist)
    tracks = get_tracks(ctx.store, [n.track_id for n in neighbours])
    if args.json:
        print_json(
            {
                "seed": seed.to_json(),
                "model_version": index.model_version,
                # "score" stays the raw cosine (what ranks); "percentile" is where it falls
                # among the library's pairs, "closeness" the same in words.
                "neighbours": [
                    {
                        "score": round(n.score, 4),
                        "cosine": round(n.score, 6),
                        "percentile": round(n.percentile, 3),
                        "closeness": n.closeness,
                        **tracks[n.track_id].to_json(),
                    }
                    for n in neighbours
                ],
            }
        )
        return 0
    print(f"sounds like: {artist_and_title(seed, ' - ')}  [{seed.id}]")
    print(f"(closeness: the share of the library's {len(index)}-track pairs that are closer)")
    for n in neighbours:
        track = tracks[n.track_id]
        print(
            f"{n.closeness:>10}  cos {n.score:5.3f}  {track.artist or '?'} - "
            f"{track.display_title}  [{track.id}]"
        )
    return 0


def run_export_embeddings(args: argparse.Namespace, ctx: Context) -> int:
    import numpy as np

    from recommender.sound.similarity import export_rows

    ids, paths, vectors = export_rows(ctx.store)
    fmt = args.format or ("jsonl" if args.out.suffix in {".jsonl", ".json"} else "npz")
    if fmt == "npz":
        with open(args.out, "wb") as fh:  # np.savez would append .npz to a different name
            np.savez(fh, ids=np.array(ids, dtype=np.int64), paths=np.array(paths), vectors=vectors)
    else:
        with open(args.out, "w", encoding="utf-8") as fh:
            for track_id, path, vector in zip(ids, paths, vectors, strict=True):
                row = {"id": track_id, "path": path, "vector": [round(float(x), 6) for x in vector]}
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(ids)} embeddings ({vectors.shape[1]} dims) to {args.out}")
    return 0
