"""`tonearm analyze`: embed every track that has no embedding for the current sound model."""

from __future__ import annotations

import argparse
from pathlib import Path

from recommender.cli.context import Context
from recommender.cli.main import subcommand
from recommender.cli.output import ProgressBar, format_duration, print_json

SHOWN_ERRORS = 10


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subcommand(
        subparsers,
        "analyze",
        help="compute sound embeddings for tracks that lack them (resumable)",
        description="Decode a few excerpts of every indexed track, run the sound model and store "
        "one embedding per track. Stopping is safe: the next run continues where this one ended.",
    )
    parser.add_argument("--model", type=Path, help="ONNX sound model (default: the bundled one)")
    parser.add_argument("--workers", type=int, help="processes (default: one per core)")
    parser.add_argument(
        "--retry-errors", action="store_true", help="try again files that failed before"
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    from recommender.sound.analyze import embed_tracks
    from recommender.sound.model import MODEL_PATH

    bar = ProgressBar("analyze", enabled=None if not args.json else False)
    try:
        summary = embed_tracks(
            ctx.store,
            args.model or MODEL_PATH,
            bar,
            workers=args.workers,
            retry_errors=args.retry_errors,
        )
    finally:
        bar.close()
    if args.json:
        print_json(
            {
                "model_version": summary.model_version,
                "embedded": summary.embedded,
                "failed": summary.failed,
                "pending": summary.pending,
                "seconds": round(summary.seconds, 2),
                "tracks_per_second": round(summary.rate, 2),
                "errors": [{"track_id": t, "reason": r} for t, r in summary.errors],
            }
        )
        return 0
    print(
        f"model {summary.model_version}: embedded {summary.embedded}, failed {summary.failed}, "
        f"in {format_duration(summary.seconds)} ({summary.rate:.1f} tracks/s)"
    )
    for track_id, reason in summary.errors[:SHOWN_ERRORS]:
        print(f"  track {track_id}: {reason}")
    if len(summary.errors) > SHOWN_ERRORS:
        print(f"  … and {len(summary.errors) - SHOWN_ERRORS} more (kept in analysis_errors)")
    if summary.pending:
        print(f"{summary.pending} tracks left; run `tonearm analyze` again to continue")
    return 0
