"""`tonearm remote ...`: the opt-in remote service's settings, health check and payload preview.

Also the glue `tonearm recommend --remote` uses: `add_remote_arguments(parser)` adds
`--remote` / `--endpoint`, and `remote_recommendations(ctx, n, ...)` returns a RemoteOutcome
(recommendations, source, reason) that never fails for a network reason.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from recommender.cli.context import Context
from recommender.cli.main import subcommand
from recommender.cli.output import print_json
from recommender.core.errors import UsageError

if TYPE_CHECKING:
    from recommender.remote.fallback import LocalRecommender, RemoteOutcome


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subcommand(
        subparsers,
        "remote",
        help="the optional remote recommendation service (off by default)",
        description="Settings of the optional remote recommendation service. While it is off "
        "Tonearm sends nothing anywhere.",
    )
    commands = parser.add_subparsers(dest="remote_command", metavar="ACTION", required=True)

    def add(name: str, func: Callable[[argparse.Namespace, Context], int], help: str):
        sub = subcommand(commands, name, help=help)
        sub.add_argument("--json", action="store_true", help="machine-readable output")
        sub.set_defaults(func=func)
        return sub

    status = add("status", run_status, "show the settings and check the service's health")
    status.add_argument("--endpoint", help="check this address instead of the configured one")
    preview = add("preview", run_preview, "print exactly what a recommendation request sends")
    preview.add_argument("-n", type=int, default=20, help="how many items to ask for")
    preview.add_argument("--endpoint", help="preview for this address")
    enable = add("enable", run_enable, "turn the service on")
    enable.add_argument("--endpoint", help="the service address (https://, or http:// to loopback)")
    add("disable", run_disable, "turn the service off: nothing is sent")
    add("reset-id", run_reset_id, "replace the random id the service knows you by")
    token = add("set-token", run_set_token, "store the bearer token (read from stdin)")
    token.add_argument("token", nargs="?", help="the token (prefer stdin: it stays out of history)")
    add("clear-token", run_clear_token, "forget the stored token")
    share = add("share-history", run_share_history, "send recent listens with their times?")
    share.add_argument("choice", choices=["on", "off"])


# --- for `tonearm recommend --remote` ------------------------------------------------------------


def add_remote_arguments(parser: argparse.ArgumentParser) -> None:
    """The options `tonearm recommend` takes to ask the remote service."""
    parser.add_argument(
        "--remote", action="store_true", help="ask the remote service (falls back to local)"
    )
    parser.add_argument("--endpoint", help="the remote service address for this call")


def remote_recommendations(
    ctx: Context,
    n: int,
    *,
    endpoint: str | None = None,
    local_fn: LocalRecommender | None = None,
) -> RemoteOutcome:
    """Remote answer (topped up locally) or the local one; `.source` says which, `.reason` why."""
    from recommender.remote.fallback import recommend_with_fallback

    if endpoint is not None:
        from recommender.remote.settings import check_endpoint

        endpoint = check_endpoint(endpoint)
        if not ctx.settings.remote_user_id:
            from recommender.remote.settings import new_user_id

            ctx.settings.remote_user_id = new_user_id()
            ctx.save_settings()
    elif not ctx.settings.remote_enabled:
        print(
            "tonearm: the remote service is off (tonearm remote enable); answering locally",
            file=sys.stderr,
        )
    return recommend_with_fallback(
        ctx.store, ctx.settings, n, local_fn=local_fn, endpoint=endpoint, data_dir=ctx.data_dir
    )


def print_outcome(outcome: RemoteOutcome, *, as_json: bool, explain: bool = False) -> None:
    """Print a RemoteOutcome: `--json` gives {"source", "reason", "recommendations": [...]}."""
    from recommender.library.tracks import artist_name

    if as_json:
        print_json(
            {
                "source": outcome.source,
                "reason": outcome.reason,
                "recommendations": [r.to_json() for r in outcome.recommendations],
            }
        )
        return
    print(f"source: {outcome.source} ({outcome.reason})")
    for rank, rec in enumerate(outcome.recommendations, 1):
        track = rec.track
        artist = track.artist if track is not None else rec.artist
        title = track.display_title if track is not None else rec.title
        tag = "" if rec.playable else "  [discover: not in your library]"
        reason = f"  ({rec.reasons[0]})" if rec.reasons and not explain else ""
        print(f"{rank:>3}. [{rec.source}] {artist_name(artist)} – {title or '?'}{tag}{reason}")
        if explain:
            for line in rec.reasons:
                print(f"       {line}")


# --- handlers ----------------------------------------------------------------------------------


def _settings_json(ctx: Context) -> dict[str, object]:
    from recommender.remote.settings import describe_remote

    return describe_remote(ctx.settings, ctx.data_dir)


def _print_settings(info: dict[str, object]) -> None:
    print(f"remote service: {'on' if info['enabled'] else 'off'}")
    print(f"endpoint:       {info['endpoint'] or '(not set)'}")
    print(f"share history:  {'on' if info['share_history'] else 'off'}")
    print(f"user id:        {info['user_id'] or '(made when the service is turned on)'}")
    token = "set" if info["token_set"] else "not set"
    print(f"token:          {token} ({info['token_storage']})")


def run_status(args: argparse.Namespace, ctx: Context) -> int:
    from recommender.core.errors import RemoteError
    from recommender.remote.client import CircuitBreaker, RemoteClient
    from recommender.remote.settings import get_token

    info = _settings_json(ctx)
    endpoint = args.endpoint or (
        ctx.settings.remote_endpoint if ctx.settings.remote_enabled else ""
    )
    health: dict[str, object] | None = None
    problem = None
    if endpoint:
        try:
            with RemoteClient() as client:
                health = client.health(endpoint, get_token(ctx.data_dir))
        except RemoteError as exc:
            problem = str(exc)
    breaker = CircuitBreaker(ctx.store).blocked()
    if args.json:
        print_json({**info, "health": health, "problem": problem, "paused": breaker})
    else:
        _print_settings(info)
        if not endpoint:
            print("health:         not checked (the service is off; nothing was sent)")
        elif health is not None:
            model = health.get("model") or {}
            name = f"{model.get('name')} {model.get('version')}" if isinstance(model, dict) else "?"
            print(
                f"health:         {health.get('status')} (protocol {health.get('protocol')}, "
                f"model {name}, {health.get('items')} items)"
            )
        else:
            print(f"health:         unreachable: {problem}")
        if breaker:
            print(f"paused:         {breaker}")
    return 0 if problem is None else 1


def run_preview(args: argparse.Namespace, ctx: Context) -> int:
    from recommender.remote.fallback import preview_request

    endpoint = args.endpoint or ctx.settings.remote_endpoint
    if not endpoint:
        raise UsageError("no service address: give --endpoint URL or run tonearm remote enable")
    request = preview_request(
        ctx.store, ctx.settings, args.n, endpoint=endpoint, data_dir=ctx.data_dir
    )
    if args.json:
        print_json(
            {
                "method": request.method,
                "url": request.url,
                "headers": [list(h) for h in request.headers if h[0] != "Authorization"],
                "token_sent": any(h[0] == "Authorization" for h in request.headers),
                "body": request.payload,
            }
        )
    else:
        if not ctx.settings.remote_enabled:
            print(
                "# the service is off: this is what WOULD be sent once turned on", file=sys.stderr
            )
        sys.stdout.write(request.preview() + "\n")
    return 0


def run_enable(args: argparse.Namespace, ctx: Context) -> int:
    from recommender.remote.settings import enable_remote

    enable_remote(ctx.settings, args.endpoint)
    ctx.save_settings()
    _report(args, ctx, f"remote service on: {ctx.settings.remote_endpoint}")
    return 0


def run_disable(args: argparse.Namespace, ctx: Context) -> int:
    from recommender.remote.settings import disable_remote

    disable_remote(ctx.settings)
    ctx.save_settings()
    _report(args, ctx, "remote service off: nothing will be sent")
    return 0


def run_reset_id(args: argparse.Namespace, ctx: Context) -> int:
    from recommender.remote.settings import reset_user_id

    reset_user_id(ctx.settings)
    ctx.save_settings()
    _report(args, ctx, f"new user id: {ctx.settings.remote_user_id}")
    return 0


def run_set_token(args: argparse.Namespace, ctx: Context) -> int:
    from recommender.remote.settings import set_token

    token = args.token
    if token is None:
        if sys.stdin.isatty():
            import getpass

            token = getpass.getpass("token: ")
        else:
            token = sys.stdin.readline()
    where = set_token(ctx.data_dir, token)
    _report(args, ctx, f"token stored in the {where}")
    return 0


def run_clear_token(args: argparse.Namespace, ctx: Context) -> int:
    from recommender.remote.settings import clear_token

    clear_token(ctx.data_dir)
    _report(args, ctx, "token forgotten")
    return 0


def run_share_history(args: argparse.Namespace, ctx: Context) -> int:
    from recommender.remote.settings import set_share_history

    set_share_history(ctx.settings, args.choice == "on")
    ctx.save_settings()
    _report(args, ctx, f"history sharing {args.choice}")
    return 0


def _report(args: argparse.Namespace, ctx: Context, message: str) -> None:
    if args.json:
        print_json(_settings_json(ctx))
    else:
        print(message)
