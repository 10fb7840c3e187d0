"""`tonearm recommend`, `radio`, `playlist` and `mixes`: the local recommender's commands."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from recommender.cli.context import Context
from recommender.cli.main import subcommand
from recommender.cli.output import format_duration, print_json
from recommender.cli.remote import add_remote_arguments, print_outcome, remote_recommendations
from recommender.core.errors import UsageError

if TYPE_CHECKING:
    from recommender.discovery.recommendation import Recommendation

# The commands' own modules load numpy and scipy: each run_* imports what it uses, so that
# `tonearm --help` and every `COMMAND --help` stay fast.
PLAYLIST_MODES = ("flow", "path")  # recommender.discovery.flow.MODES, without its imports


def register(subparsers: argparse._SubParsersAction) -> None:
    rec = subcommand(subparsers, "recommend", help="tracks to play next, from your history")
    rec.add_argument("-n", type=int, default=20, help="how many (default 20)")
    rec.add_argument("--explain", action="store_true", help="show why each one is suggested")
    rec.add_argument("--max-per-artist", type=int, default=3, metavar="N")
    rec.add_argument("--json", action="store_true", help="print JSON")
    add_remote_arguments(rec)
    rec.set_defaults(func=run_recommend)

    radio = subcommand(
        subparsers,
        "radio",
        help="an endless queue near a seed",
        description='SEED is a track (id, path, "artist - title"), or "artist:NAME", '
        '"album:NAME", "playlist:NAME".',
    )
    radio.add_argument("seed", metavar="SEED")
    radio.add_argument("-n", type=int, default=25, help="how many (default 25)")
    radio.add_argument("--json", action="store_true", help="print JSON")
    radio.set_defaults(func=run_radio)

    pl = subcommand(
        subparsers,
        "playlist",
        help="generate a playlist from seeds; import or list saved playlists",
    )
    pl.add_argument("--seed", action="append", default=[], metavar="TRACK", help="repeatable")
    pl.add_argument("--length", type=int, default=30, metavar="N")
    pl.add_argument("--mode", choices=PLAYLIST_MODES, default="flow")
    pl.add_argument("--out", type=Path, metavar="FILE.m3u8|FILE.pls|FILE.xspf")
    pl.add_argument("--save", metavar="NAME", help="also keep it as a saved playlist")
    pl.add_argument("--json", action="store_true", help="print JSON")
    pl.set_defaults(func=run_playlist)
    actions = pl.add_subparsers(dest="action", metavar="ACTION")
    imp = subcommand(actions, "import", help="read an M3U/M3U8/PLS/XSPF file into a playlist")
    imp.add_argument("file", type=Path, metavar="FILE")
    imp.add_argument(
        "--name", help="playlist name (default: the name the file gives, else the file name)"
    )
    imp.add_argument("--json", action="store_true", help="print JSON")
    imp.set_defaults(func=run_playlist_import)
    exp = subcommand(actions, "export", help="write a saved playlist to an M3U8, PLS or XSPF file")
    exp.add_argument("playlist", metavar="NAME", help="the playlist's name or id")
    exp.add_argument(
        "--out", type=Path, required=True, metavar="FILE", help="FILE.m3u8, FILE.pls or FILE.xspf"
    )
    exp.set_defaults(func=run_playlist_export)
    lst = subcommand(actions, "list", help="saved playlists")
    lst.add_argument("--json", action="store_true", help="print JSON")
    lst.set_defaults(func=run_playlist_list)

    mixes = subcommand(subparsers, "mixes", help="your library grouped into named mixes")
    mixes.add_argument("-k", type=int, default=6, help="how many mixes (default 6)")
    mixes.add_argument("--json", action="store_true", help="print JSON")
    mixes.set_defaults(func=run_mixes)


def _print_recs(recs: list[Recommendation], explain: bool) -> None:
    from recommender.library.tracks import artist_and_title

    for i, r in enumerate(recs, 1):
        t = r.track
        assert t is not None  # local answers always carry their track
        print(f"{i:3d}. {artist_and_title(t, ' - ')}  [{t.id}]  {format_duration(t.duration)}")
        if explain:
            for reason in r.reasons:
                print(f"       {reason}")


def run_recommend(args: argparse.Namespace, ctx: Context) -> int:
    """Local by default; `--remote`/`--endpoint` ask the service and fall back to local."""
    from recommender.discovery.recommend import recommend
    from recommender.discovery.recommendation import SOURCE_LOCAL

    if args.n < 1:
        raise UsageError("-n must be at least 1")

    def local(store, n: int) -> list[Recommendation]:
        return recommend(store, n, max_per_artist=args.max_per_artist)

    if args.remote or args.endpoint:
        outcome = remote_recommendations(ctx, args.n, endpoint=args.endpoint, local_fn=local)
        print_outcome(outcome, as_json=args.json, explain=args.explain)
        return 0
    recs = local(ctx.store, args.n)
    if args.json:
        print_json(
            {
                "source": SOURCE_LOCAL,
                "reason": "the remote service was not asked",
                "recommendations": [r.to_json() for r in recs],
            }
        )
    elif not recs:
        from recommender.library.tracks import present_track_count

        if present_track_count(ctx.store):
            print(
                "nothing new to recommend: every track was played lately, skipped a lot or is "
                "blocked; play something, or try `tonearm radio` or `tonearm similar`"
            )
        else:
            print("nothing to recommend yet: scan a music folder first (`tonearm scan`)")
    else:
        _print_recs(recs, args.explain)
    return 0


def run_radio(args: argparse.Namespace, ctx: Context) -> int:
    from recommender.discovery.radio import Radio, resolve_seed

    if args.n < 1:
        raise UsageError("-n must be at least 1")
    seed = resolve_seed(ctx.store, args.seed)
    radio = Radio(ctx.store, seed)
    recs = radio.next(args.n)
    if args.json:
        seed_json = {"kind": seed.kind, "label": seed.label, "track_ids": list(seed.track_ids)}
        print_json({"seed": seed_json, "tracks": [r.to_json() for r in recs]})
    else:
        print(f"radio from {seed.kind} {seed.label}")
        _print_recs(recs, explain=False)
    return 0


def run_playlist(args: argparse.Namespace, ctx: Context) -> int:
    from recommender.discovery.flow import generate_playlist
    from recommender.discovery.taste_model import load_taste_model
    from recommender.library.tracks import artist_and_title, resolve_track
    from recommender.playlists.files import write_playlist_file
    from recommender.playlists.saved import save_playlist

    if not args.seed:
        raise UsageError("give --seed TRACK (repeatable), or an action: import, list")
    if args.length < 1:
        raise UsageError("--length must be at least 1")
    if args.out is None and not args.save and not args.json:
        raise UsageError(
            "say where it goes: --out FILE.m3u8|FILE.pls|FILE.xspf, --save NAME or --json"
        )
    if args.out is not None:
        _check_writable_suffix(args.out)
    seeds = [resolve_track(ctx.store, s) for s in args.seed]
    model = load_taste_model(ctx.store)
    seed_rows = [model.row_of[s.id] for s in seeds if s.id in model.row_of]
    if len(seed_rows) != len(seeds):
        raise UsageError("a seed track is marked missing; rescan or choose another")
    rows = generate_playlist(model, seed_rows, args.length, mode=args.mode)
    by_row = model.tracks(rows, ctx.store)
    tracks = [by_row[r] for r in rows if r in by_row]
    name = args.save or f"{args.mode} from {artist_and_title(seeds[0], ' - ')}"
    if args.out is not None:
        write_playlist_file(tracks, args.out, name=name)
    if args.save:
        save_playlist(ctx.store, args.save, [t.id for t in tracks])
    if args.json:
        print_json({"name": name, "mode": args.mode, "tracks": [t.to_json() for t in tracks]})
        return 0
    total = sum(t.duration or 0 for t in tracks)
    print(
        f"{len(tracks)} tracks, {format_duration(total)}" + (f" -> {args.out}" if args.out else "")
    )
    for i, t in enumerate(tracks, 1):
        print(f"{i:3d}. {artist_and_title(t, ' - ')}  [{t.id}]")
    return 0


def run_playlist_import(args: argparse.Namespace, ctx: Context) -> int:
    from recommender.playlists.files import FORMATS, import_playlist_file

    if args.file.suffix.lower() not in FORMATS:
        raise UsageError(f"cannot read {args.file.name}: expected {', '.join(FORMATS)}")
    result = import_playlist_file(ctx.store, args.file, args.name)
    if args.json:
        print_json({"playlist_id": result.playlist_id, "name": result.name,
                    "found": result.found,
                    "not_found": [e.__dict__ for e in result.not_found]})  # fmt: skip
        return 0
    print(
        f'playlist {result.playlist_id} "{result.name}": {result.found} tracks; '
        f"{len(result.not_found)} entries not in the library"
    )
    for e in result.not_found:
        label = f"{e.artist} - {e.title}" if e.artist else (e.title or "")
        print(f"  not found: {e.location}" + (f"  ({label})" if label else ""))
    return 0


def _check_writable_suffix(out: Path) -> None:
    from recommender.playlists.files import WRITE_FORMATS

    if out.suffix.lower() not in WRITE_FORMATS:
        raise UsageError(f"cannot write {out.name}: use a .m3u8, .pls or .xspf file name")


def run_playlist_export(args: argparse.Namespace, ctx: Context) -> int:
    from recommender.library.tracks import get_tracks
    from recommender.playlists.files import write_playlist_file
    from recommender.playlists.saved import find_playlist
    from recommender.playlists.smart import playlist_contents

    _check_writable_suffix(args.out)
    info = find_playlist(ctx.store, args.playlist)
    ids = playlist_contents(ctx.store, info.id)  # a smart playlist: its tracks right now
    tracks = get_tracks(ctx.store, ids)
    chosen = [tracks[t] for t in ids if t in tracks]
    write_playlist_file(chosen, args.out, name=info.name)
    print(f'{len(chosen)} tracks of "{info.name}" -> {args.out}')
    return 0


def run_playlist_list(args: argparse.Namespace, ctx: Context) -> int:
    from recommender.playlists.saved import list_playlists

    infos = list_playlists(ctx.store)
    if args.json:
        print_json([i.__dict__ for i in infos])
        return 0
    for i in infos:
        print(f"{i.id:4d}  {i.name}  ({'smart' if i.smart else f'{i.size} tracks'})")
    return 0


def run_mixes(args: argparse.Namespace, ctx: Context) -> int:
    from recommender.discovery.library_mixes import display_names
    from recommender.discovery.mixes import build_mixes
    from recommender.discovery.taste_model import load_taste_model
    from recommender.library.tracks import artist_and_title, get_tracks

    model = load_taste_model(ctx.store)
    mixes = build_mixes(model, display_names(ctx.store, model)[0], args.k)
    tracks = get_tracks(ctx.store, [int(model.track_ids[r]) for m in mixes for r in m.rows[:5]])
    if args.json:
        print_json([
            {"name": m.name, "size": m.size, "top_artists": list(m.top_artists),
             "top_genres": list(m.top_genres),
             "track_ids": [int(model.track_ids[r]) for r in m.rows]}
            for m in mixes
        ])  # fmt: skip
        return 0
    if not mixes:
        print("no mixes yet: play some music or run `tonearm analyze` first")
    for m in mixes:
        print(f"{m.name}  ({m.size:,} tracks)")
        for r in m.rows[:5]:
            t = tracks.get(int(model.track_ids[r]))
            if t:
                print(f"    {artist_and_title(t, ' - ')}")
    return 0
