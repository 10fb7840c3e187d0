"""Dispatch `python -m recommender.evaluate SUBCOMMAND ...` to one module per evaluation."""

from __future__ import annotations

import argparse
import importlib
import sys

# Each module exposes register(subparsers); add one line per evaluation.
SUBCOMMAND_MODULES: tuple[str, ...] = ("recommender.evaluate.sound", "recommender.evaluate.history")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recommender.evaluate")
    subparsers = parser.add_subparsers(dest="subcommand", required=True)
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    args = parser.parse_args(argv)
    return int(args.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
