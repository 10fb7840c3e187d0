"""The `tonearm` command: with no subcommand it opens the desktop app, else runs the CLI.

Kept free of Qt imports so `tonearm --help`, `--version` and every subcommand work without a
display or Qt's libraries.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from recommender import __version__
from recommender.core.threads import set_thread_budget


def _wants_cli(argv: Sequence[str]) -> bool:
    """--help or --version anywhere, or a subcommand as the first argument that is not an
    option, means the headless CLI; anything else (no argument, files to play) the app."""
    if any(a in ("-h", "--help", "--version") for a in argv):
        return True
    from recommender.cli.main import build_parser  # the CLI's imports only when needed

    commands = set(build_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    return _first_positional(argv) in commands


def _first_positional(argv: Sequence[str]) -> str | None:
    skip_value = False
    for arg in argv:
        if skip_value:
            skip_value = False
        elif arg == "--data-dir":
            skip_value = True
        elif arg == "--" or not arg.startswith("-"):
            return None if arg == "--" else arg
    return None


def _self_test(argv: list[str]) -> int:
    """`--self-test`: the core's end-to-end check, plus a QtMultimedia playback step."""
    from player.playback.media_check import PLAYBACK_STEP
    from recommender.app.self_test import main as self_test_main

    return self_test_main([a for a in argv if a != "--self-test"], extra_steps=[PLAYBACK_STEP])


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    set_thread_budget()  # before numpy, scipy or onnxruntime load, in the app and the CLI alike
    if "--version" in argv and not {"-h", "--help"} & set(argv):
        print(f"tonearm {__version__}")  # without building the parser and its imports
        return 0
    if "--self-test" in argv:
        return _self_test(argv)
    if _wants_cli(argv):
        from recommender.cli.main import main as cli_main

        return cli_main(argv)
    try:
        from player.shell.app import run_app
    except ImportError as exc:
        print(f"tonearm: the desktop app cannot start: {exc}", file=sys.stderr)
        return 1
    return run_app(argv)


if __name__ == "__main__":
    sys.exit(main())
