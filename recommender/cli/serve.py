"""`tonearm serve`: build the CF model (in-process or on Spark) and run the reference server.

`tonearm serve build --listens PATH... --out MODEL [--engine local|spark]` writes the model;
`tonearm serve --model MODEL` serves it and picks up a new file at the same path without a
restart; `tonearm serve --listens PATH...` builds in-process first, then serves.
"""

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

CF_MODES = ("item", "user", "blend")  # recommender.server.model.CF_MODES, without its imports

DEFAULT_PORT = 8765
ENGINES = ("local", "spark")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subcommand(
        subparsers,
        "serve",
        help="run the reference remote recommendation server",
        description="Serve Tonearm's remote protocol from a CF model built from many users' "
        "listens (`tonearm serve build`), or build one in-process from --listens first. "
        "Without --token it serves this computer only.",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--model",
        metavar="MODEL",
        help="a model file from `tonearm serve build`; a new file at this path is picked up "
        "while serving",
    )
    source.add_argument(
        "--listens",
        metavar="PATH",
        action="append",
        help="build in-process from these listens first (file, folder or glob; repeatable)",
    )
    parser.add_argument(
        "--token-file",
        metavar="FILE",
        help="file holding the bearer token clients must send (or set TONEARM_SERVER_TOKEN); "
        "without one only loopback is allowed",
    )
    # A token on the command line shows in `ps` to every user: refused with the way out.
    parser.add_argument("--token", help=argparse.SUPPRESS)
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
        "--cf",
        choices=CF_MODES,
        default=None,
        help="score by item neighbours, nearest listeners, or a blend of both (default: the "
        "model's DEFAULT_CF, the best in the evaluation)",
    )
    parser.add_argument(
        "--save-model",
        metavar="FILE",
        help="only build the model and save it as FILE (same as `tonearm serve build --out`)",
    )
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning"])
    parser.set_defaults(func=run_serve)
    actions = parser.add_subparsers(dest="serve_action", metavar="build")
    build = subcommand(
        actions,
        "build",
        help="build the model file the servers load",
        description="Build the CF model from listens: JSON lines, Parquet, ListenBrainz dumps "
        "(a .tar/.tar.zst archive or its unpacked folder), folders and globs. "
        "The file is written beside --out and renamed into place, so running servers switch "
        "to it atomically.",
    )
    build.add_argument("--listens", metavar="PATH", nargs="+", action="extend", required=True)
    build.add_argument("--out", metavar="MODEL", required=True, help="the model file (.npz)")
    build.add_argument("--engine", choices=ENGINES, default="local", help="default local")
    build.add_argument(
        "--spark-master",
        metavar="URL",
        help="with --engine spark: a cluster (spark://host:7077, yarn, k8s://...); "
        "default local[2]",
    )
    build.add_argument(
        "--spark-driver-memory", default=None, help="local mode driver memory (default 2g)"
    )
    build.add_argument(
        "--spark-local-dir", default=None, help="where Spark spills to disk (default /tmp)"
    )
    build.add_argument("--neighbours", type=int, default=50, help="neighbours kept per item")
    build.set_defaults(func=run_build)


def _print_model(model, started: float, how: str) -> None:
    print(
        f"model {model.name} {model.version}: {model.size:,} items, {model.users:,} users, "
        f"{model.listens:,} listens, built {how} in {time.monotonic() - started:.1f} s",
        file=sys.stderr,
    )


def run_build(args: argparse.Namespace, ctx: object) -> int:
    started = time.monotonic()
    if args.engine == "spark":
        from recommender.server.spark_build import build_model_spark

        # written as it is streamed from Spark's output, never held whole here
        built = build_model_spark(
            args.listens,
            Path(args.out),
            master=args.spark_master,
            neighbours=args.neighbours,
            driver_memory=args.spark_driver_memory,
            local_dir=args.spark_local_dir,
        )
        _print_model(built, started, "on Spark")
    else:
        if args.spark_master:
            raise UsageError("--spark-master needs --engine spark")
        from recommender.server.model import build_model_from_files

        model = build_model_from_files(args.listens, neighbours=args.neighbours)
        _print_model(model, started, "in-process")
        model.save(Path(args.out))
    print(f"saved {args.out}", file=sys.stderr)
    return 0


def _read_token(args: argparse.Namespace) -> str | None:
    """The token from --token-file, else $TONEARM_SERVER_TOKEN; never from the command line."""
    from recommender.server.app import ENV_TOKEN

    if args.token is not None:
        raise UsageError(
            "--token would show the token to every user in `ps`; put it in a file and give "
            f"--token-file FILE, or set {ENV_TOKEN}"
        )
    if args.token_file:
        path = Path(args.token_file).expanduser()
        try:
            token = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read the token file {path}: {exc}") from exc
        if not token or any(ch.isspace() for ch in token):
            raise UsageError(f"the token file {path} should hold one token on one line")
        return token
    return os.environ.get(ENV_TOKEN) or None


def run_serve(args: argparse.Namespace, ctx: object) -> int:
    try:
        import uvicorn  # noqa: F401  (fails early without the extra)

        import recommender.server.app  # noqa: F401  (fails early without fastapi)
    except ImportError as exc:
        raise UsageError(
            f"the server needs the 'server' extra (FastAPI and uvicorn): {exc}. "
            'Install it with: pip install "tonearm[server]"'
        ) from exc
    from recommender.server.app import ENV_CF, ENV_MODEL
    from recommender.server.model import build_model_from_files, load_model

    if not args.model and not args.listens:
        raise UsageError("give --model MODEL (from `tonearm serve build`) or --listens PATH")
    token = _read_token(args)
    if token is None and not is_loopback_host(args.host) and not args.save_model:
        raise UsageError(
            f"refusing to serve on {args.host} without a token; give --token-file, or bind "
            "127.0.0.1"
        )
    if args.workers < 1:
        raise UsageError("--workers must be at least 1")
    if args.cf is not None:
        os.environ[ENV_CF] = args.cf
    if args.model:
        if args.save_model:
            raise UsageError("--save-model goes with --listens (or use `tonearm serve build`)")
        model = load_model(Path(args.model))  # fail here, with a message, not in each worker
        print(f"serving model {model.name} {model.version} from {args.model}", file=sys.stderr)
        os.environ[ENV_MODEL] = str(Path(args.model).resolve())
        return _run_uvicorn(args, token)
    started = time.monotonic()
    model = build_model_from_files(args.listens, neighbours=args.neighbours)
    _print_model(model, started, "in-process")
    if args.save_model:
        model.save(Path(args.save_model))
        print(f"saved {args.save_model}", file=sys.stderr)
        return 0
    with tempfile.TemporaryDirectory(prefix="tonearm-serve-") as tmp:
        path = Path(tmp) / "model.npz"
        model.save(path)
        os.environ[ENV_MODEL] = str(path)
        return _run_uvicorn(args, token)


def _run_uvicorn(args: argparse.Namespace, token: str | None) -> int:
    import uvicorn

    from recommender.server.app import ENV_LOOPBACK_ONLY, ENV_TOKEN
    from recommender.server.connections import GuardedH11Protocol
    from recommender.server.json_logs import log_config

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
        http=GuardedH11Protocol,  # header deadline, few slow sockets per client
        limit_concurrency=1000,
        timeout_keep_alive=5,
    )
    return 0
