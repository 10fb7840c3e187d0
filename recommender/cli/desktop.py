"""`tonearm install-desktop` / `uninstall-desktop`: the app menu entry for pip/pipx installs."""

from __future__ import annotations

import argparse
from pathlib import Path

from recommender.app.desktop_entry import DesktopFiles, install_desktop, uninstall_desktop
from recommender.cli.context import Context
from recommender.cli.main import subcommand
from recommender.cli.output import print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    install = subcommand(
        subparsers,
        "install-desktop",
        help="add Tonearm to your desktop's app menu (icons, file associations)",
        description="Write io.github.tonearm.Tonearm.desktop, the icons and the AppStream "
        "metainfo under $XDG_DATA_HOME (default ~/.local/share), launching this install's "
        "tonearm.",
    )
    install.add_argument(
        "--exec", dest="exec_path", type=Path, help="the tonearm to launch (default: this one)"
    )
    install.add_argument("--json", action="store_true", help="list the files as JSON")
    install.set_defaults(func=run_install)
    remove = subcommand(
        subparsers,
        "uninstall-desktop",
        help="remove what install-desktop added",
        description="Remove the menu entry, icons and metainfo that install-desktop wrote.",
    )
    remove.add_argument("--json", action="store_true", help="list the files as JSON")
    remove.set_defaults(func=run_uninstall)


def _report(result: DesktopFiles, verb: str, json: bool) -> int:
    if json:
        print_json(
            {
                "exec": str(result.exec_path) if result.exec_path else None,
                verb: [str(p) for p in result.files],
                "notes": result.notes,
            }
        )
        return 0
    print(f"{verb} {len(result.files)} files")
    for path in result.files:
        print(f"  {path}")
    for note in result.notes:
        print(f"note: {note}")
    return 0


def run_install(args: argparse.Namespace, ctx: Context) -> int:
    result = install_desktop(args.exec_path.absolute() if args.exec_path else None)
    if not args.json:
        print(f"Tonearm's menu entry launches {result.exec_path}")
    return _report(result, "installed", args.json)


def run_uninstall(args: argparse.Namespace, ctx: Context) -> int:
    return _report(uninstall_desktop(), "removed", args.json)
