"""`tonearm scan`, `tonearm library` and `tonearm tracks`: building and browsing the library."""

from __future__ import annotations

import argparse
import sys

from recommender.cli.context import Context
from recommender.cli.main import subcommand
from recommender.cli.output import ProgressBar, count_of, format_duration, print_json
from recommender.core.datadir import default_music_dir


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subcommand(subparsers, "scan", help="index music folders (incremental)")
    p.add_argument(
        "folders",
        nargs="*",
        metavar="FOLDER",
        help="folders to scan (default: the configured library folders, else your Music folder)",
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--workers", type=int, default=None, help="tag readers (default: cores)")
    p.set_defaults(func=run_scan)

    p = subcommand(subparsers, "library", help="show library counts and folders")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run_library)

    p = subcommand(subparsers, "tracks", help="list tracks matching a query")
    p.add_argument(
        "query",
        nargs="*",
        help="words match title/artist/album; also artist:, album:, title:, genre:, "
        'year:1990..1999, "quoted phrases", -negation',
    )
    p.add_argument("--json", action="store_true")
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--missing", action="store_true", help="include files that have vanished")
    p.set_defaults(func=run_tracks)


def run_scan(args: argparse.Namespace, ctx: Context) -> int:
    from recommender.app.library_update import update_library

    settings = ctx.settings
    if args.folders:
        folders = args.folders
    elif settings.library_folders:
        folders = settings.library_folders
    else:
        folders = [str(default_music_dir())]
    bar = ProgressBar("scan", enabled=None if not args.json else False)
    try:
        summary = update_library(ctx.store, folders, progress=bar, workers=args.workers)
    finally:
        bar.close()
    settings.library_folders = summary.roots
    ctx.save_settings()
    if args.json:
        print_json(summary.to_json())
    else:
        for error in summary.new_errors:
            print(f"error: {error.path}: {error.reason}", file=sys.stderr)
        print(summary.describe())
    return 0


def run_library(args: argparse.Namespace, ctx: Context) -> int:
    from recommender.library.stats import library_stats

    stats = library_stats(ctx.store)
    stats["folders"] = ctx.settings.library_folders
    stats["data_dir"] = str(ctx.data_dir)
    if args.json:
        print_json(stats)
        return 0
    print(f"Library in {ctx.data_dir}")
    print(f"  tracks:   {stats['tracks']:,} ({stats['missing']:,} missing)")
    print(f"  artists:  {stats['artists']:,}")
    print(f"  albums:   {stats['albums']:,}")
    print(f"  duration: {format_duration(stats['duration_s'])}")
    print(f"  plays:    {stats['plays']:,}")
    print(f"  errors:   {stats['scan_errors']:,} files could not be read")
    print("  folders:")
    for folder in stats["folders"] or ["(none yet: run `tonearm scan`)"]:
        print(f"    {folder}")
    return 0


def run_tracks(args: argparse.Namespace, ctx: Context) -> int:
    from recommender.library.tracks import artist_and_title, find_tracks

    tracks = find_tracks(
        ctx.store, " ".join(args.query), include_missing=args.missing, limit=args.limit
    )
    if args.json:
        print_json([t.to_json() for t in tracks])
        return 0
    for t in tracks:
        print(
            f"{t.id:>6}  {artist_and_title(t, ' - ')}  [{t.album or '?'}]  "
            f"{format_duration(t.duration)}"
        )
    print(count_of(len(tracks), "track"), file=sys.stderr)
    return 0
