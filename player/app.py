"""Start the desktop app: `run_app(argv)` is what `tonearm` with no subcommand calls."""

from __future__ import annotations

import argparse
import logging
import sys

from recommender.datadir import resolve_data_dir
from recommender.errors import TonearmError

log = logging.getLogger(__name__)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="tonearm", description="The Tonearm music player.")
    parser.add_argument("--data-dir", metavar="DIR", help="library database and settings folder")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details")
    parser.add_argument("--no-scan", action="store_true", help="skip the start-up rescan")
    args, _qt_args = parser.parse_known_args(argv)
    return args


def apply_theme(theme: str) -> None:
    """ "system" follows the desktop's light/dark setting; "light"/"dark" force one."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication

    hints = QGuiApplication.styleHints()
    scheme = {
        "light": Qt.ColorScheme.Light,
        "dark": Qt.ColorScheme.Dark,
    }.get(theme, Qt.ColorScheme.Unknown)
    if hasattr(hints, "setColorScheme"):  # Qt 6.8+
        hints.setColorScheme(scheme)


def run_app(argv: list[str]) -> int:
    """Open the main window on the data folder from --data-dir / $TONEARM_HOME / the default."""
    args = parse_args(list(argv))
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    from PySide6.QtWidgets import QApplication, QMessageBox

    from player.main_window import MainWindow
    from recommender.settings import Settings
    from recommender.store import open_store

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "tonearm"])
    app.setApplicationName("Tonearm")
    app.setOrganizationName("Tonearm")
    app.setDesktopFileName("tonearm")
    data_dir = resolve_data_dir(args.data_dir)
    try:
        store = open_store(data_dir)
    except TonearmError as exc:
        QMessageBox.critical(None, "Tonearm cannot open its library", str(exc))
        return exc.exit_code
    settings = Settings.load(data_dir)
    apply_theme(settings.theme)
    window = MainWindow(data_dir, settings, store)
    window.show()
    window.start(startup_scan=not args.no_scan)
    try:
        return app.exec()
    finally:
        window.shutdown()
        store.close()
