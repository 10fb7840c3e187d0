"""Start the desktop app: `run_app(argv)` is what `tonearm` with no subcommand calls."""

from __future__ import annotations

import argparse
import logging
import sys

from player.settings.theme import apply_theme
from recommender.core.datadir import move_to_platform_folders, resolve_data_dir
from recommender.core.errors import TonearmError

log = logging.getLogger(__name__)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="tonearm", description="The Tonearm music player.")
    parser.add_argument("--data-dir", metavar="DIR", help="library database and settings folder")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details")
    parser.add_argument("--no-scan", action="store_true", help="skip the start-up rescan")
    parser.add_argument(
        "files", nargs="*", metavar="FILE", help="play these (in the running window if any)"
    )
    args, _qt_args = parser.parse_known_args(argv)
    return args


def _app_icon():
    """The Tonearm icon at every rendered size, found like the model (checkout, wheel, bundle)."""
    from PySide6.QtGui import QIcon

    from recommender.core.resource_paths import ICON_SIZES_PX, icon_png

    icon = QIcon()
    for size in ICON_SIZES_PX:
        icon.addFile(str(icon_png(size)))
    return icon


def _no_display() -> bool:
    """On Linux/BSD without X11 or Wayland, Qt would abort; say so instead."""
    import os

    if not sys.platform.startswith(("linux", "freebsd", "openbsd")):
        return False
    if os.environ.get("QT_QPA_PLATFORM"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run_app(argv: list[str]) -> int:
    """Open the main window on the data folder from --data-dir / $TONEARM_HOME / the default."""
    args = parse_args(list(argv))
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    from player.playback.play_files import absolute_paths, play_files
    from player.shell.single_instance import claim, hand_over

    data_dir = resolve_data_dir(args.data_dir)
    files = absolute_paths(args.files)
    if hand_over(data_dir, files):
        return 0  # the running window plays them
    if _no_display():
        print(
            "tonearm: no display to open a window on (DISPLAY and WAYLAND_DISPLAY are unset); "
            "run a command instead, e.g. `tonearm --help`",
            file=sys.stderr,
        )
        return 1
    from PySide6.QtWidgets import QApplication, QMessageBox

    from player.shell.installers import install_features
    from player.shell.main_window import MainWindow
    from recommender.core.resource_paths import APP_ID
    from recommender.core.settings import Settings
    from recommender.library.store import open_store

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "tonearm"])
    app.setApplicationName("Tonearm")
    app.setOrganizationName("Tonearm")
    app.setDesktopFileName(APP_ID)  # Wayland app_id: the .desktop file's name
    app.setWindowIcon(_app_icon())
    instance = claim(data_dir, files)
    if instance is None:
        return 0
    try:
        move_to_platform_folders(data_dir)  # an older install kept settings in the data folder
        settings = Settings.load(data_dir)  # unreadable settings: say so, change nothing
        store = open_store(data_dir)
    except TonearmError as exc:
        QMessageBox.critical(None, "Tonearm cannot open its library", str(exc))
        instance.close()
        return exc.exit_code
    apply_theme(settings.theme)
    window = MainWindow(data_dir, settings, store)
    # Closing the main window quits, even with a dialog, the sound map or a stray tool window
    # still open (Qt would otherwise wait for the last of them, and so did a test run).
    app.setQuitOnLastWindowClosed(False)
    window.closed.connect(app.quit)
    install_features(window.context)
    window.show()
    window.start(startup_scan=not args.no_scan)
    instance.filesReceived.connect(lambda paths: play_files(window.context, paths))
    if files:
        play_files(window.context, files)
    try:
        return app.exec()
    finally:
        app.setQuitOnLastWindowClosed(True)
        instance.close()
        window.shutdown()
        store.close()
