"""What a view or a feature installer may use of the app: a small typed context, not the window.

The main window builds one `ViewContext` and hands it to every feature (For you, playlists,
history, the sound map, MPRIS, the tray...); tests build one around a plain widget
(`tests/player/fake_context.py`), so a view is tested without a window. Work goes to `jobs`
(reads, any number at once) or `writer` (every database write, one at a time and in order);
discovery work goes to `taste`; data changes arrive on `events`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtWidgets import QGroupBox, QWidget

from player.widgets.track_menu import TrackActions, TrackMenuProvider
from player.workers.background import JobRunner
from player.workers.events import LibraryEvents
from player.workers.taste_worker import TasteWorker
from recommender.core.settings import Settings
from recommender.library.store import Store
from recommender.library.tracks import Track

STATUS_MESSAGE_MS = 8000


class PlaybackControls(Protocol):
    """What features see of playback (`playback.decks.Playback` is the implementation)."""

    trackChanged: Any  # Signal(Track | None)
    stateChanged: Any  # Signal(str): "playing", "paused", "stopped"
    positionChanged: Any  # Signal(int, int): position and duration, ms

    @property
    def track(self) -> Track | None: ...
    def is_playing(self) -> bool: ...
    def position_ms(self) -> int: ...
    def toggle(self) -> None: ...
    def stop(self) -> None: ...
    def seek(self, position_ms: int) -> None: ...


class PlayingList(Protocol):
    """The list playing now, as a radio extends it (`playback.play_order.PlayOrder`)."""

    library_index: int
    ahead_removed: list[Callable[[list[int]], None]]

    def upcoming_library(self) -> int: ...
    def extend_library(self, track_ids: list[int], *, after: int | None = None) -> None: ...


class SettingsSections(Protocol):
    """Where a feature adds its box to the settings dialog (`settings.dialogs.SettingsDialog`)."""

    def add_section(self, box: QGroupBox, apply: Callable[[Settings], None]) -> None: ...


@dataclass(eq=False, kw_only=True)
class ViewContext:
    """Services, player controls and extension points, each a plain value or a callable."""

    # --- services -----------------------------------------------------------------------------
    data_dir: Path
    store: Store
    """The GUI thread's connection: single-row reads only; everything else goes to a job."""
    jobs: JobRunner
    writer: JobRunner
    events: LibraryEvents
    window: QWidget
    """The top-level widget: parent of dialogs and features, shown or hidden by the tray."""
    get_settings: Callable[[], Settings]
    """The settings in force (the settings dialog replaces the object on OK)."""
    show_message: Callable[..., None]
    """`show_message(text, timeout_ms=STATUS_MESSAGE_MS)`: a status-bar note."""

    # --- player -------------------------------------------------------------------------------
    playback: PlaybackControls
    order: PlayingList
    play_tracks: Callable[..., None]
    """`play_tracks(track_ids, index=0, context="playlist", title=None)`: play a list from
    `index`; `title` heads its next tracks under the queue."""
    list_context: Callable[[], str]
    """The context of the list playing now ("library", "radio", "playlist:3"...)."""
    add_to_queue: Callable[[list[int]], None]
    next_track: Callable[[], None]
    previous_track: Callable[[], None]
    set_volume: Callable[[float], None]
    """Volume 0..1: the setting, the output and the slider together."""
    set_shuffle: Callable[[bool], None]
    """Shuffle on or off: the play order and the button together (MPRIS)."""
    set_repeat: Callable[[str], None]
    """Repeat "off", "all" or "one": the play order and the button together (MPRIS)."""
    track_actions: Callable[[], TrackActions]

    # --- extension points -----------------------------------------------------------------------
    add_view: Callable[[QWidget, str], int]
    show_view: Callable[[QWidget], None]
    add_side_panel: Callable[[QWidget], None]
    track_menu_providers: list[TrackMenuProvider] = field(default_factory=list)
    settings_sections: list[Callable[[SettingsSections], object]] = field(default_factory=list)
    _taste: TasteWorker | None = None

    @property
    def settings(self) -> Settings:
        return self.get_settings()

    @property
    def taste(self) -> TasteWorker:
        """The one worker that owns the taste model, made when a feature first asks."""
        if self._taste is None:
            self._taste = TasteWorker(self.data_dir, self.window)
            self.window.installEventFilter(self._taste)
        return self._taste

    def add_track_menu_provider(self, provider: TrackMenuProvider) -> None:
        """Entries added to every track context menu (More like this, Start radio...)."""
        self.track_menu_providers.append(provider)

    def add_settings_section(self, make: Callable[[SettingsSections], object]) -> None:
        """`make(dialog)` runs each time the settings dialog opens, before it shows."""
        self.settings_sections.append(make)
