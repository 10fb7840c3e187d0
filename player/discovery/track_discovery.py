"""Discovery entries on every track's context menu: More like this, Start radio, Make playlist.

One provider adds all three (one separator, one place to read); each entry's work lives in its
own module: `similar_panel`, `radio_session`, `flow_playlist_dialog`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMenu

from player.discovery.flow_playlist_dialog import FlowPlaylistDialog
from player.discovery.radio_session import RadioSession
from player.discovery.similar_panel import SimilarPanel
from player.workers.taste_worker import taste_worker

if TYPE_CHECKING:
    from player.shell.main_window import MainWindow


def install_track_discovery(window: MainWindow) -> None:
    worker = taste_worker(window)
    window.similar_panel = SimilarPanel(window, worker)
    window.add_side_panel(window.similar_panel)
    window.radio = RadioSession(window, worker)

    def open_playlist_dialog(ids: list[int]) -> FlowPlaylistDialog:
        dialog = FlowPlaylistDialog(window, worker, ids)
        dialog.open()
        return dialog

    window.open_flow_playlist = open_playlist_dialog

    def entries(menu: QMenu, ids: list[int]) -> None:
        first = ids[0]
        menu.addAction("More like this", lambda: window.similar_panel.show_for(first))
        menu.addAction("Start radio", lambda: window.radio.start(first))
        label = "Make playlist from this…" if len(ids) == 1 else "Make playlist from these…"
        menu.addAction(label, lambda: open_playlist_dialog(ids))

    window.add_track_menu_provider(entries)
