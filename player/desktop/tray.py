"""A system tray icon: transport controls and show/hide while the window is out of sight.

The tooltip names the playing track; with `Settings.notify_track_change` on (a check item in the
tray's own menu, off by default) each new track also raises a desktop notification, unless the
window is the active one anyway.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon

from player.widgets.transport_icons import transport_icon
from recommender.core.errors import TonearmError
from recommender.library.tracks import Track, artist_name

if TYPE_CHECKING:
    from player.workers.context import ViewContext

log = logging.getLogger(__name__)
NOTIFICATION_MS = 5000


def track_line(track: Track | None) -> str:
    """ "Title — Artist" for the tooltip and the notification."""
    if track is None:
        return "Tonearm"
    return f"{track.display_title} — {artist_name(track.artist, track.albumartist)}"


class TrayIcon(QObject):
    """The icon, its menu and the notification; built even where no tray shows it (tests)."""

    def __init__(self, ctx: ViewContext) -> None:
        super().__init__(ctx.window)
        self.ctx = ctx
        self.window = ctx.window
        window = ctx.window
        self.icon = QSystemTrayIcon(self._app_icon(), self)
        self.menu = QMenu(window)
        self.play_pause = self.menu.addAction("Play", ctx.playback.toggle)
        self.menu.addAction("Next", ctx.next_track)
        self.menu.addAction("Previous", ctx.previous_track)
        self.menu.addSeparator()
        self.show_hide = self.menu.addAction("Hide Tonearm", self.toggle_window)
        self.notify = QAction("Notify on track change", self.menu, checkable=True)
        self.notify.setChecked(ctx.settings.notify_track_change)
        self.notify.toggled.connect(self._set_notify)
        self.menu.addAction(self.notify)
        self.menu.addSeparator()
        self.menu.addAction("Quit", window.close)
        self.menu.aboutToShow.connect(self._sync_labels)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)
        self.icon.setToolTip("Tonearm")
        self.last_notification: tuple[str, str] | None = None
        ctx.playback.trackChanged.connect(self._track_changed)
        ctx.playback.stateChanged.connect(lambda _s: self._sync_labels())

    def _app_icon(self) -> QIcon:
        for icon in (self.window.windowIcon(), QApplication.windowIcon()):
            if not icon.isNull():
                return icon
        return transport_icon("play", self.window.palette().windowText().color())

    def toggle_window(self) -> None:
        if self.window.isVisible() and not self.window.isMinimized():
            self.window.hide()
        else:
            self.window.showNormal()
            self.window.raise_()
            self.window.activateWindow()
        self._sync_labels()

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.toggle_window()
        elif reason == QSystemTrayIcon.ActivationReason.MiddleClick:
            self.ctx.playback.toggle()

    def _sync_labels(self) -> None:
        self.play_pause.setText("Pause" if self.ctx.playback.is_playing() else "Play")
        shown = self.window.isVisible() and not self.window.isMinimized()
        self.show_hide.setText("Hide Tonearm" if shown else "Show Tonearm")

    def _set_notify(self, on: bool) -> None:
        self.ctx.settings.notify_track_change = on
        try:
            self.ctx.settings.save(self.ctx.data_dir)
        except TonearmError as exc:
            self.ctx.show_message(f"Could not save settings: {exc}")

    def _track_changed(self, track: Track | None) -> None:
        line = track_line(track)
        self.icon.setToolTip(line if track is None else f"{line}\nTonearm")
        self._sync_labels()
        if track is None or not self.ctx.settings.notify_track_change:
            return
        if self.window.isActiveWindow():
            return  # the window already shows it
        body = track.album or ""
        self.last_notification = (line, body)
        if self.icon.isVisible() and QSystemTrayIcon.supportsMessages():
            self.icon.showMessage(line, body, self.icon.icon(), NOTIFICATION_MS)


def install_tray(ctx: ViewContext) -> TrayIcon | None:
    """Feature installer: a tray icon where the desktop has a tray."""
    if not QSystemTrayIcon.isSystemTrayAvailable():
        log.info("no system tray: the tray icon is off")
        return None
    tray = TrayIcon(ctx)
    tray.icon.show()
    return tray
