"""Every view at 1024x700, 1280x800 and 1920x1080 in the light and dark theme, with "More like
this" open, as PNGs: the layout test's cases, to look at.

    xvfb-run -a -s '-screen 0 1920x1080x24' env QT_QPA_PLATFORM=xcb PYTHONPATH=. \
        .venv/bin/python scripts/screenshot_layout.py /tmp/shots
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

import player  # noqa: F401  (guards Python 3.11 against shiboken6 6.12, before any Qt call)

SIZES = ((1024, 700), (1280, 800), (1920, 1080))


def wait(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def main(out: Path) -> int:
    app = QApplication(sys.argv[:1])
    app.setApplicationName("Tonearm")
    from player.playback.null_backend import null_player_and_output
    from player.settings.theme import apply_theme
    from player.shell.installers import install_features
    from player.shell.main_window import MainWindow
    from recommender.core.settings import Settings
    from recommender.library.store import open_store
    from tests.player.discovery_library import make_discovery_library

    out.mkdir(parents=True, exist_ok=True)
    shots = []
    with tempfile.TemporaryDirectory(prefix="tonearm-layout-") as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        store = open_store(data)
        ids = make_discovery_library(store, 480)
        window = MainWindow(data, Settings.load(data), store, media_backend=null_player_and_output)
        built = install_features(window.context)
        discovery = next(b for b in built if hasattr(b, "similar_panel"))
        window.resize(*SIZES[0])
        window.show()
        window.start(first_run_dialog=False, startup_scan=False)
        wait(2500)
        window.play_library_row(3)
        for theme in ("light", "dark"):
            apply_theme(theme)
            for w, h in SIZES:
                window.resize(w, h)
                wait(400)
                for i in range(window.views.count()):
                    window.views.setCurrentIndex(i)
                    wait(1200 if theme == "light" and (w, h) == SIZES[0] else 300)
                    name = window.views.tabText(i).lower().replace(" ", "-")
                    target = out / f"{theme}-{w}x{h}-{name}.png"
                    window.grab().save(str(target))
                    shots.append(target)
                window.views.setCurrentIndex(0)
                discovery.similar_panel.show_for(ids[3])
                wait(900)
                target = out / f"{theme}-{w}x{h}-more-like-this.png"
                window.grab().save(str(target))
                shots.append(target)
                discovery.similar_panel.hide()
                print(f"{theme} {w}x{h}: window {window.width()}x{window.height()}", flush=True)
        about = window.show_about()
        wait(500)
        about.grab().save(str(out / "about.png"))
        shots.append(out / "about.png")
        about.close()
        dialog = discovery.open_flow_playlist([ids[3]])
        wait(1500)
        dialog.grab().save(str(out / "make-playlist-one-seed.png"))
        shots.append(out / "make-playlist-one-seed.png")
        dialog.reject()
        apply_theme("system")
        window.shutdown()
        store.close()
    print("\n".join(map(str, shots)))
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/shots")))
