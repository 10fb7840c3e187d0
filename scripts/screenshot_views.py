"""Drive the app on a demo library and save PNGs (run through `scripts/screenshot`)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
from PySide6.QtCore import QBuffer, QEventLoop, QPoint, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QImage, QLinearGradient, QPainter
from PySide6.QtWidgets import QApplication

import player  # noqa: F401  (guards Python 3.11 against shiboken6 6.12, before any Qt call)

ALBUMS = (
    ("Harbour Lights", "The Tidewater Quartet", "Jazz", 1962, "embedded"),
    ("Static Bloom", "Nadia Kestrel", "Electronic", 2019, "cover.png"),
    ("Field Notes", "Ola Brandt", "Folk", 1998, None),
)
TITLES = ("Low Tide", "Lanterns", "Night Ferry", "Salt Air", "Driftwood", "Beacon")


def wait(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def wait_for(condition, timeout_ms: int = 20_000) -> None:
    waited = 0
    while not condition():
        if waited > timeout_ms:
            raise SystemExit("screenshot: timed out waiting for the app")
        wait(50)
        waited += 50


def cover(text: str, hue: int) -> bytes:
    image = QImage(400, 400, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    gradient = QLinearGradient(0, 0, 400, 400)
    gradient.setColorAt(0, QColor.fromHsv(hue, 160, 230))
    gradient.setColorAt(1, QColor.fromHsv((hue + 60) % 360, 200, 90))
    painter.fillRect(image.rect(), gradient)
    painter.setPen(QColor("white"))
    painter.setFont(QFont("Sans", 34, QFont.Weight.Bold))
    painter.drawText(image.rect().adjusted(20, 20, -20, -20), Qt.TextFlag.TextWordWrap, text)
    painter.end()
    buffer = QBuffer()
    buffer.open(QBuffer.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data())


def build_demo(root: Path) -> tuple[Path, Path]:
    from recommender.core.settings import Settings
    from recommender.library.scan import scan_folders
    from recommender.library.store import open_store
    from tests.audio_factory import make_track
    from tests.library_factory import insert_library

    music, data = root / "Music", root / "data"
    data.mkdir(parents=True)
    for a, (album, artist, genre, year, art) in enumerate(ALBUMS):
        folder = f"{artist}/{album}"
        art_bytes = cover(album, 30 + a * 110)
        for t, title in enumerate(TITLES):
            tags = dict(title=title, artist=artist, album=album, genre=genre, date=str(year),
                        tracknumber=str(t + 1))  # fmt: skip
            if art == "embedded":
                tags["cover"] = art_bytes
            make_track(music, f"{folder}/{t + 1:02d} {title}.mp3", seconds=25 + 7 * t,
                       freq=220 + 40 * t + 15 * a, **tags)  # fmt: skip
        if art == "cover.png":
            (music / folder / "cover.png").write_bytes(art_bytes)
    with open_store(data) as store:
        scan_folders(store, [str(music)])
        insert_library(store, 20_000, seed=5, plays=30_000)
        add_discovery_demo(store)
        add_listening_demo(store)
    settings = Settings(library_folders=[str(music)], analysis_enabled=False)  # no model here
    settings.extra["first_run_done"] = True
    settings.save(data)
    return music, data


def add_discovery_demo(store) -> None:
    """Sessions, sound embeddings and a history for For you, mixes and More like this (written
    straight into the store: no sound model needed)."""
    from tests.player.discovery_library import add_album_embeddings, add_history, track_ids

    # one play every 200 s is one endless session; an hour's pause every 8 plays makes sessions
    store.conn.execute("UPDATE plays SET started_at = started_at - (id / 8) * 3600")
    ids = track_ids(store)
    add_album_embeddings(store, ids)
    add_history(store, ids[:2400], sessions=200)


def install_discovery(window) -> dict:
    """For you, Mixes, the track menu's discovery entries and the remote settings section."""
    from player.discovery.for_you_view import install_for_you
    from player.discovery.mixes_view import install_mixes
    from player.discovery.remote_section import install_remote_settings
    from player.discovery.track_discovery import install_track_discovery

    ctx = window.context
    views = {
        "for_you": install_for_you(ctx),
        "mixes": install_mixes(ctx),
        "track_discovery": install_track_discovery(ctx),
    }
    install_remote_settings(ctx)
    return views


def shoot_discovery(window, views: dict, shot) -> None:
    """For you, Mixes, the More like this panel and the Make playlist dialog."""
    got: list = []
    views["for_you"].refreshed.connect(got.append)
    window.show_view(views["for_you"])
    wait_for(lambda: got, 60_000)
    shot("for-you", window)
    mixes: list = []
    views["mixes"].loaded.connect(mixes.append)
    window.show_view(views["mixes"])
    wait_for(lambda: mixes, 60_000)
    shot("mixes", window)
    window.views.setCurrentIndex(0)
    similar: list = []
    discovery = views["track_discovery"]
    discovery.similar_panel.shown.connect(similar.append)
    discovery.similar_panel.show_for(window.playback.track.id)
    wait_for(lambda: similar)
    shot("more-like-this", window)
    discovery.similar_panel.hide()
    dialog = discovery.open_flow_playlist([window.playback.track.id])
    previewed: list = []
    dialog.previewed.connect(previewed.append)
    wait_for(lambda: previewed)
    shot("make-playlist", dialog)
    dialog.reject()


def add_listening_demo(store) -> None:
    """Two weeks of evenings with some skips (History), a saved and a smart playlist."""
    import time

    from recommender.playlists.saved import save_playlist
    from recommender.playlists.smart import SmartRule, create_smart_playlist

    rng = np.random.default_rng(21)
    ids = [r[0] for r in store.conn.execute("SELECT id FROM tracks ORDER BY id LIMIT 3000")]
    first = time.time() - 14 * 86400 - 4 * 3600  # at most 60 plays a day: none in the future
    rows = []
    for day in range(15):
        t = first + day * 86400
        for tid in rng.choice(ids, int(rng.integers(5, 60))):
            skipped = rng.random() < 0.2
            played = float(rng.integers(4, 25)) if skipped else 200.0
            rows.append((int(tid), t, played, int(not skipped), int(skipped)))
            t += played
    with store.transaction() as conn:
        conn.executemany(
            "INSERT OR IGNORE INTO plays(track_id, started_at, seconds_played, completed, "
            "skipped) VALUES (?, ?, ?, ?, ?)",
            rows,
        )
    scanned = [r[0] for r in store.conn.execute("SELECT id FROM tracks ORDER BY id LIMIT 18")]
    save_playlist(store, "Sunday morning", scanned[12:18] + scanned[0:6])
    save_playlist(store, "Road trip", ids[100:140])
    rule = SmartRule("genre:jazz year:1950..1965", "most_played", 50)
    create_smart_playlist(store, "Jazz 1950–1965, most played", rule)


def install_library_views(window) -> dict:
    """Playlists, History and Sound map (by name, for the shots)."""
    from player.discovery.sound_map import install_sound_map
    from player.history.history_view import install_history
    from player.playlists.playlists_view import install_playlists

    ctx = window.context
    return {
        "playlists": install_playlists(ctx),
        "history": install_history(ctx),
        "sound_map": install_sound_map(ctx),
    }


def shoot_library_views(window, views: dict, shot) -> None:
    """Playlists (a smart one chosen), History, and the Sound map with a rubber-band selection."""
    playlists = views["playlists"]
    window.show_view(playlists)
    wait_for(lambda: playlists.lists.count() == 3)
    names = [playlists.lists.item(i).text() for i in range(3)]
    playlists.lists.setCurrentRow(next(i for i, n in enumerate(names) if "Jazz" in n))
    wait_for(lambda: playlists.contents is not None and playlists.contents.rule is not None)
    shot("playlists", window)
    playlists.lists.setCurrentRow(next(i for i, n in enumerate(names) if "Sunday" in n))
    wait_for(lambda: playlists.contents is not None and playlists.contents.rule is None)
    shot("playlists-saved", window)

    history = views["history"]
    refreshed: list = []
    history.refreshed.connect(lambda: refreshed.append(True))
    window.show_view(history)
    wait_for(lambda: refreshed, 30_000)
    shot("history", window)

    sound_map = views["sound_map"]
    loaded: list = []
    sound_map.loaded.connect(lambda: loaded.append(True))
    window.show_view(sound_map)
    wait_for(lambda: loaded and sound_map.map is not None, 120_000)
    canvas = sound_map.canvas
    if len(canvas.xy):
        from PySide6.QtCore import QRectF

        w, h = canvas.width(), canvas.height()
        canvas.set_selection(canvas.points_in(QRectF(w * 0.55, h * 0.3, w * 0.12, h * 0.16)))
        canvas.hover = int(canvas.selected[0]) if len(canvas.selected) else None
    shot("sound-map", window)
    sound_map.colour_by.setCurrentIndex(1)
    canvas.set_selection(np.zeros(0, np.int64))
    shot("sound-map-genre", window)
    window.views.setCurrentIndex(0)


def main(out: Path) -> int:
    app = QApplication(sys.argv[:1])
    app.setApplicationName("Tonearm")
    from player.shell.main_window import MainWindow
    from recommender.core.settings import Settings
    from recommender.library.store import open_store

    with tempfile.TemporaryDirectory(prefix="tonearm-demo-") as tmp:
        _music, data = build_demo(Path(tmp))
        store = open_store(data)
        window = MainWindow(data, Settings.load(data), store)
        discovery_views = install_discovery(window)
        library_views = install_library_views(window)
        window.resize(1360, 820)
        loaded: list[int] = []
        window.libraryLoaded.connect(loaded.append)
        window.show()
        window.start(first_run_dialog=False, startup_scan=True)
        wait_for(lambda: loaded)
        shots: list[str] = []

        def shot(name: str, widget=None) -> None:
            wait(300)
            target = out / f"{name}.png"
            if widget is None:
                app.primaryScreen().grabWindow(0).save(str(target))
            else:
                widget.grab().save(str(target))
            shots.append(str(target))

        # play the embedded-cover album from its second track; queue a few more
        window.search.setText("harbour")
        window.apply_search()
        wait_for(lambda: window.model.rowCount() == len(TITLES))
        window.play_library_row(1)
        wait_for(lambda: window.playback.position_ms() > 2500)
        window.add_to_queue(window.model.track_ids([3, 4]))
        window.search.setText("artist:kestrel")
        window.apply_search()
        wait_for(lambda: window.model.rowCount() == len(TITLES))
        window.play_next(window.model.track_ids([0, 2]))
        window.search.clear()
        wait_for(lambda: window.model.rowCount() > 20_000)
        window.locate_playing()
        shot("main-window", window)

        window.search.setText("year:1990..1999 night -genre:rock")
        wait(400)
        shot("search", window)

        window.search.clear()
        window.browser.kind.setCurrentIndex(1)  # albums
        wait(200)
        window.browser.list.setCurrentIndex(window.browser.model.index(3, 0))
        shot("browser-albums", window)
        window.browser.list.setCurrentIndex(window.browser.model.index(0, 0))

        window.locate_playing()
        row = window.table.currentIndex().row()
        menu = window.library_menu([row])
        rect = window.table.visualRect(window.model.index(row, 0))
        menu.popup(window.table.viewport().mapToGlobal(rect.center() + QPoint(40, 0)))
        shot("context-menu")
        menu.close()

        dialog = window.show_properties(window.model.track_id(row))
        shot("properties", dialog)
        dialog.close()

        settings_dialog = window.open_settings()
        shot("settings", settings_dialog)
        settings_dialog.reject()

        shoot_discovery(window, discovery_views, shot)
        shoot_library_views(window, library_views, shot)

        welcome = window.show_welcome()
        shot("welcome", welcome)
        welcome.reject()

        from player.settings.theme import apply_theme

        apply_theme("dark")
        wait(300)
        shot("main-window-dark", window)
        apply_theme("system")

        window.playback.stop()
        window.shutdown()
        store.close()
    print("\n".join(shots))
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("bench-out/screenshots")))
