"""The tray icon's menu drives the player, its tooltip names the playing track, and the track
notification is a setting (off by default) that the tray's own menu switches and saves. No
sound is needed: the window plays through the null backend."""

from __future__ import annotations

from pathlib import Path

from player.desktop.tray import TrayIcon, install_tray, track_line
from recommender.core.settings import Settings
from tests.audio_factory import write_audio
from tests.library_factory import insert_file


def _tones(store, music_dir: Path) -> list[int]:
    ids = []
    for n, title in enumerate(("Low", "High"), start=1):
        path = write_audio(music_dir / f"{title}.ogg", seconds=6.0, freq=250 * n)
        ids.append(insert_file(store, path, title=title, artist="Tester", album="Tones",
                               albumartist="Tester", tracknumber=n, duration=6.0))  # fmt: skip
    return ids


def _action(tray: TrayIcon, text: str):
    return next(a for a in tray.menu.actions() if a.text() == text)


def test_menu_plays_skips_and_the_tooltip_follows(qtbot, make_window, store, music_dir):
    low, high = _tones(store, music_dir)
    window = make_window(sound=False)
    tray = TrayIcon(window.context)  # built even where the platform shows no tray (offscreen)
    with qtbot.waitSignal(window.playback.trackChanged, timeout=10_000):
        window.play_library_row(window.model.row_of_track(low))
    qtbot.waitUntil(window.playback.is_playing, timeout=10_000)
    assert tray.icon.toolTip().startswith("Low — Tester")
    tray.menu.aboutToShow.emit()
    assert tray.play_pause.text() == "Pause"
    tray.play_pause.trigger()
    qtbot.waitUntil(lambda: not window.playback.is_playing(), timeout=5000)
    with qtbot.waitSignal(window.playback.trackChanged, timeout=10_000):
        _action(tray, "Next").trigger()
    assert window.playback.track.id == high
    assert tray.icon.toolTip().startswith("High — Tester")


def test_show_hide_toggles_the_window(qtbot, make_window):
    window = make_window(sound=False)
    tray = TrayIcon(window.context)
    assert tray.show_hide.text() == "Hide Tonearm"
    tray.show_hide.trigger()
    assert not window.isVisible() and tray.show_hide.text() == "Show Tonearm"
    tray.show_hide.trigger()
    assert window.isVisible()


def test_notification_setting_is_off_by_default_and_saved_from_the_menu(
    qtbot, make_window, data_dir, store, music_dir
):
    low, _high = _tones(store, music_dir)
    assert Settings().notify_track_change is False
    window = make_window(sound=False)
    tray = TrayIcon(window.context)
    window.hide()  # a notification is for when the window is out of sight
    window.play_library_row(window.model.row_of_track(low))
    assert tray.last_notification is None
    tray.notify.trigger()
    assert Settings.load(data_dir).notify_track_change is True
    with qtbot.waitSignal(window.playback.trackChanged, timeout=10_000):
        window.next_track()
    assert tray.last_notification == ("High — Tester", "Tones")


def test_track_line_without_an_artist_is_the_title():
    assert track_line(None) == "Tonearm"


def test_no_tray_no_icon(make_window, monkeypatch):
    from PySide6.QtWidgets import QSystemTrayIcon

    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: False))
    window = make_window(sound=False)
    assert install_tray(window.context) is None
