"""The context menu on tracks, with an extension point for entries other features add.

A provider is `fn(menu: QMenu, track_ids: list[int]) -> None`; it adds its own actions (for
example "More like this" or "Start radio") after the built-in ones. Register it with
`MainWindow.add_track_menu_provider(fn)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import QMenu, QWidget

from recommender.playlists.edit import PlaylistInfo

TrackMenuProvider = Callable[[QMenu, list[int]], None]


@dataclass
class TrackActions:
    """What the built-in entries do; the window supplies these."""

    play_now: Callable[[list[int]], None]
    play_next: Callable[[list[int]], None]
    add_to_queue: Callable[[list[int]], None]
    add_to_playlist: Callable[[list[int], int | None], None]  # None: a new playlist
    show_in_file_manager: Callable[[int], None]
    properties: Callable[[int], None]
    playlists: Callable[[], list[PlaylistInfo]]


def build_track_menu(
    parent: QWidget,
    track_ids: list[int],
    actions: TrackActions,
    providers: list[TrackMenuProvider],
    *,
    extra_first: Callable[[QMenu], None] | None = None,
) -> QMenu:
    """The menu for one or more selected tracks."""
    menu = QMenu(parent)
    if extra_first is not None:
        extra_first(menu)
    menu.addAction("Play", lambda: actions.play_now(track_ids))
    menu.addAction("Play next", lambda: actions.play_next(track_ids))
    menu.addAction("Add to queue", lambda: actions.add_to_queue(track_ids))
    playlists_menu = menu.addMenu("Add to playlist")
    for info in actions.playlists():
        if not info.smart:
            playlists_menu.addAction(
                info.name, lambda pid=info.id: actions.add_to_playlist(track_ids, pid)
            )
    if not playlists_menu.isEmpty():
        playlists_menu.addSeparator()
    playlists_menu.addAction("New playlist…", lambda: actions.add_to_playlist(track_ids, None))
    menu.addSeparator()
    first = track_ids[0]
    menu.addAction("Show in file manager", lambda: actions.show_in_file_manager(first))
    menu.addAction("Properties…", lambda: actions.properties(first))
    for provider in providers:
        menu.addSeparator()
        provider(menu, track_ids)
    return menu
