"""Discovery entries on every track's context menu: More like this, Start radio, Make playlist.

One provider adds all three (one separator, one place to read); each entry's work lives in its
own module: `similar_panel`, `radio_session`, `flow_playlist_dialog`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMenu

from player.discovery.flow_playlist_dialog import FlowPlaylistDialog
from player.discovery.radio_session import RadioSession
from player.discovery.similar_panel import SimilarPanel

if TYPE_CHECKING:
    from player.workers.context import ViewContext


@dataclass(eq=False)
class TrackDiscovery:
    """What the installer built: the side panel, the radio, and the playlist dialog opener."""

    ctx: ViewContext
    similar_panel: SimilarPanel
    radio: RadioSession

    def open_flow_playlist(self, ids: list[int]) -> FlowPlaylistDialog:
        dialog = FlowPlaylistDialog(self.ctx, self.ctx.taste, ids)
        dialog.open()
        return dialog

    def menu_entries(self, menu: QMenu, ids: list[int]) -> None:
        first = ids[0]
        menu.addAction("More like this", lambda: self.similar_panel.show_for(first))
        menu.addAction("Start radio", lambda: self.radio.start(first))
        label = "Make playlist from this…" if len(ids) == 1 else "Make playlist from these…"
        menu.addAction(label, lambda: self.open_flow_playlist(ids))


def install_track_discovery(ctx: ViewContext) -> TrackDiscovery:
    worker = ctx.taste
    discovery = TrackDiscovery(ctx, SimilarPanel(ctx, worker), RadioSession(ctx, worker))
    ctx.add_side_panel(discovery.similar_panel)
    ctx.add_track_menu_provider(discovery.menu_entries)
    return discovery
