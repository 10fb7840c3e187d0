"""`tonearm history`: recent plays and stats; `import FILE`, `export --out FILE`, `rematch`."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from recommender.cli.context import Context
from recommender.cli.main import subcommand
from recommender.cli.output import ProgressBar, format_duration, print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subcommand(
        subparsers, "history", help="recent plays and listening stats; import and export listens"
    )
    parser.add_argument("-n", type=int, default=20, help="how many recent plays (default 20)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(func=run_history)
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    imp = subcommand(
        actions,
        "import",
        help="add listens from ListenBrainz (export .zip, JSON, JSON lines, API answer, submit "
        "payload), a Last.fm scrobble CSV or a portable player's .scrobbler.log",
    )
    imp.add_argument("file", type=Path, metavar="FILE")
    imp.add_argument("--json", action="store_true", help="print JSON")
    imp.set_defaults(func=run_import)
    exp = subcommand(
        actions,
        "export",
        help="write plays as ListenBrainz listens (plays it would refuse are left out and counted)",
    )
    exp.add_argument(
        "--out", type=Path, required=True, metavar="PATH", help="a file (jsonl) or a new folder"
    )
    exp.add_argument(
        "--format",
        choices=("jsonl", "payload"),
        default="jsonl",
        help="jsonl: one listen a line (default); payload: submit-listens request bodies "
        "listens-0001.json, ... in the folder PATH, each within ListenBrainz's limits",
    )
    exp.add_argument(
        "--include-skips",
        action="store_true",
        help="also write skipped plays (with the seconds heard in duration_played and "
        "tonearm_skipped: true; ListenBrainz asks clients not to submit skips)",
    )
    exp.set_defaults(func=run_export)
    rematch = subcommand(
        actions, "rematch", help="match waiting (unmatched) imported listens after a scan"
    )
    rematch.set_defaults(func=run_rematch)


def _when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts)) if ts else "-"


def run_history(args: argparse.Namespace, ctx: Context) -> int:
    from recommender.history.plays import history_stats, recent_plays
    from recommender.library.tracks import artist_name

    stats = history_stats(ctx.store)
    recent = recent_plays(ctx.store, args.n)
    if args.json:
        print_json(
            {
                "stats": stats,
                "recent": [
                    {
                        "track_id": r.play.track_id,
                        "artist": r.artist,
                        "title": r.title,
                        "started_at": r.play.started_at,
                        "seconds_played": round(r.play.seconds_played, 1),
                        "completed": r.play.completed,
                        "skipped": r.play.skipped,
                        "context": r.play.context,
                    }
                    for r in recent
                ],
            }
        )
        return 0
    print(
        f"{stats['plays']:,} plays ({stats['completed']:,} completed, {stats['skipped']:,} "
        f"skipped), {stats['hours']} hours, {stats['distinct_tracks']:,} different tracks"
    )
    if stats["unmatched_listens"]:
        print(f"{stats['unmatched_listens']:,} imported listens wait for a match")
    if stats["top_artists"]:
        top = ", ".join(f"{a['artist']} ({a['plays']})" for a in stats["top_artists"])
        print(f"most played: {top}")
    for r in recent:
        mark = "skip" if r.play.skipped else ("done" if r.play.completed else "part")
        print(
            f"{_when(r.play.started_at)}  {mark}  {format_duration(r.play.seconds_played):>6}  "
            f"{artist_name(r.artist)} - {r.display_title}  [{r.play.track_id}]"
        )
    return 0


def run_import(args: argparse.Namespace, ctx: Context) -> int:
    from recommender.history.imports import import_listens

    bar = ProgressBar("import")
    try:
        report = import_listens(ctx.store, args.file, progress=bar)
    finally:
        bar.close()
    if args.json:
        print_json(report.__dict__)
        return 0
    print(
        f"read {report.read:,} listens: {report.matched:,} matched library tracks "
        f"({report.added:,} new plays, {report.already_known:,} already in the history), "
        f"{report.unmatched:,} not in the library (kept; they are matched again after scans "
        "or with `tonearm history rematch`)"
    )
    if report.dropped:
        print(f"dropped {report.dropped:,} lines that are no listen, first:")
        for reason in report.drop_reasons:
            print(f"  {reason}")
    return 0


def run_export(args: argparse.Namespace, ctx: Context) -> int:
    from recommender.history.imports import export_listens

    report = export_listens(ctx.store, args.out, include_skips=args.include_skips, form=args.format)
    where = (
        str(args.out) if args.format == "jsonl" else f"{len(report.files):,} files in {args.out}"
    )
    print(f"wrote {report.written:,} listens to {where}")
    if report.left_out:
        reasons = ", ".join(f"{n:,} {why}" for why, n in sorted(report.left_out.items()))
        print(
            f"left out {sum(report.left_out.values()):,} plays ListenBrainz would refuse: {reasons}"
        )
    return 0


def run_rematch(args: argparse.Namespace, ctx: Context) -> int:
    from recommender.history.imports import rematch_unmatched

    print(f"{rematch_unmatched(ctx.store):,} waiting listens now match library tracks")
    return 0
