"""`tonearm serve`: run the reference recommendation server (needs the `server` extra)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from recommender.cli.main import subcommand
from recommender.core.errors import UsageError
from recommender.remote.settings import is_loopback_host

DEFAULT_PORT = 8765


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subcommand(
        subparsers,
        "serve",
        help="run the reference remote recommendation server",
        description="Build item-item CF from many users' listens (ListenBrainz JSON lines) and "
        "serve Tonearm's remote protocol. Without --token it serves this computer only.",
    )
    parser.add_argument(
        "--listens",
        metavar="FILE",
        action="append",
        required=True,
        help="listens as JSON lines; repeat for several files",
    )
    parser.add_argument(
        "--token",
        help="bearer token clients must send "
        "(or set TONEARM_SERVER_TOKEN); without one only loopback is allowed",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="uvicorn worker processes; each loads the same read-only model",
    )
    parser.add_argument("--neighbours", type=int, default=50, help="neighbours kept per item")
    parser.add_argument(
        "--save-model",
        metavar="FILE",
        help="only build the model and save it as FILE (.npz) for running uvicorn yourself",
    )
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning"])
    parser.set_defaults(func=run_serve)


def run_serve(args: argparse.Namespace, ctx: object) -> int:
    try:
        import uvicorn

        import recommender.server.app  # noqa: F401  (fails early without fastapi)
    except ImportError as exc:
        raise UsageError(
            f"the server needs the 'server' extra (FastAPI and uvicorn): {exc}. "
            'Install it with: pip install "tonearm[server]"'
        ) from exc
    from recommender.server.app import ENV_LOOPBACK_ONLY, ENV_MODEL, ENV_TOKEN
    from recommender.server.json_logs import log_config
    from recommender.server.model import build_model_from_files

    token = args.token or os.environ.get(ENV_TOKEN) or None
    if token is None and not is_loopback_host(args.host) and not args.save_model:
        raise UsageError(
            f"refusing to serve on {args.host} without a token; give --token, or bind 127.0.0.1"
        )
    if args.workers < 1:
        raise UsageError("--workers must be at least 1")
    started = time.monotonic()
    model = build_model_from_files([Path(p) for p in args.listens], neighbours=args.neighbours)
    print(
        f"model {model.name} {model.version}: {model.size:,} items, {model.users:,} users, "
        f"{model.listens:,} listens, built in {time.monotonic() - started:.1f} s",
        file=sys.stderr,
    )
    if args.save_model:
        model.save(Path(args.save_model))
        print(f"saved {args.save_model}", file=sys.stderr)
        return 0
    with tempfile.TemporaryDirectory(prefix="tonearm-serve-") as tmp:
        path = Path(tmp) / "model.npz"
        model.save(path)
        os.environ[ENV_MODEL] = str(path)
        os.environ[ENV_LOOPBACK_ONLY] = "1" if token is None else "0"
        if token:
            os.environ[ENV_TOKEN] = token
        else:
            os.environ.pop(ENV_TOKEN, None)
        uvicorn.run(
            "recommender.server.app:app_from_env",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_config=log_config(args.log_level.upper()),
            access_log=False,
            server_header=False,
            limit_concurrency=1000,
            timeout_keep_alive=5,
        )
    return 0
