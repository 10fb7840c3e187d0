"""Entry point of the headless `tonearm` commands: parse, dispatch, turn errors into messages."""

from __future__ import annotations

import argparse
import importlib
import logging
import sqlite3
import sys
from collections.abc import Sequence
from typing import Any

from recommender import __version__
from recommender.cli.context import Context
from recommender.core.datadir import move_to_platform_folders, resolve_data_dir
from recommender.core.errors import TonearmError
from recommender.core.threads import set_thread_budget

# Each module exposes `register(subparsers)`; its parsers set `func(args, ctx) -> int`.
COMMAND_MODULES: tuple[str, ...] = (
    "recommender.cli.library",
    "recommender.cli.analyze",
    "recommender.cli.similar",
    "recommender.cli.remote",
    "recommender.cli.serve",
    "recommender.cli.history",
    "recommender.cli.recommend",
    "recommender.cli.desktop",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tonearm",
        description="Tonearm: a music player with a private, on-device recommender. "
        "Without a command it opens the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"tonearm {__version__}")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check this install on generated audio, no screen needed (--self-test --help)",
    )
    add_common(parser)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def add_common(parser: argparse.ArgumentParser, *, suppress: bool = False) -> None:
    """Options every command takes, before or after the subcommand name."""
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        default=default,
        help="where the library database and settings live "
        "(default: $TONEARM_HOME, else ~/.local/share/tonearm on Linux)",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", default=default or False, help="log details"
    )


def subcommand(subparsers: argparse._SubParsersAction, name: str, **kwargs: Any):
    """Add a subcommand that also accepts the common options after its name."""
    parser = subparsers.add_parser(name, **kwargs)
    add_common(parser, suppress=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    set_thread_budget()  # before any command loads numpy; worker processes inherit it
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if args.self_test:  # `tonearm --self-test` is routed before this; `python -m recommender`
        from recommender.app.self_test import main as self_test_main

        return self_test_main(["--verbose"] if args.verbose else [])
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    ctx = Context(data_dir=resolve_data_dir(args.data_dir), json=getattr(args, "json", False))
    try:
        move_to_platform_folders(ctx.data_dir)
        return int(args.func(args, ctx) or 0)
    except TonearmError as exc:
        print(f"tonearm: {exc}", file=sys.stderr)
        return exc.exit_code
    except sqlite3.Error as exc:  # outside a transaction: a damaged page met by a query
        error = ctx.database_error(exc)
        print(f"tonearm: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("tonearm: interrupted; work done so far is saved", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    finally:
        ctx.close()


if __name__ == "__main__":
    sys.exit(main())
