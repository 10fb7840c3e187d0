"""A `ViewContext` around a plain tab widget: a view tested without the main window.

The services are real (job pools, the writer, events, the taste worker over the test's data
folder); what the window would do with a view's requests is recorded instead: the tracks it
asked to play or queue and the status-bar messages it gave. Playback uses the null backend.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from player.playback.decks import Playback
from player.playback.null_backend import null_player_and_output
from player.playback.play_order import PlayOrder
from player.widgets.track_menu import TrackActions
from player.workers.background import JobRunner
from player.workers.context import ViewContext
from player.workers.events import LibraryEvents
from recommender.core.settings import Settings
from recommender.library.store import Store


@dataclass(frozen=True)
class PlayRequest:
    """What a view asked the window to play: the list, where to start, the play context."""

    track_ids: list[int]
    index: int
    context: str

    @property
    def first(self) -> int:
        return self.track_ids[self.index]


@dataclass(eq=False)
class FakeApp:
    """The host widget, the context handed to views, and what they asked for."""

    host: QWidget
    tabs: QTabWidget
    ctx: ViewContext = field(init=False)
    settings: Settings = field(default_factory=Settings)
    played: list[PlayRequest] = field(default_factory=list)
    queued: list[list[int]] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    @property
    def last_message(self) -> str:
        return self.messages[-1] if self.messages else ""

    def show_view(self, widget: QWidget) -> None:
        self.tabs.setCurrentWidget(widget)
        self.host.show()

    def shutdown(self) -> None:
        """What closing the window does: let running jobs finish, announce nothing more."""
        self.ctx.writer.wait_for_done(5000)
        self.ctx.jobs.cancel_all()
        self.ctx.jobs.wait_for_done(5000)
        self.ctx.jobs.detach_all()  # a job still running reports to nobody
        self.ctx.writer.detach_all()
        self.ctx.events.close()
        self.host.close()  # the taste worker waits for its thread on Close


def make_fake_app(data_dir: Path, store: Store, settings: Settings | None = None) -> FakeApp:
    host = QWidget()
    host.resize(1100, 760)
    tabs = QTabWidget()
    QVBoxLayout(host).addWidget(tabs)
    app = FakeApp(host, tabs, settings=settings or Settings.load(data_dir))

    def play_tracks(track_ids, index: int = 0, context: str = "playlist", title=None) -> None:
        app.played.append(PlayRequest(list(track_ids), index, context))

    def show_message(text: str, timeout_ms: int = 0) -> None:
        app.messages.append(text)

    def add_view(widget: QWidget, title: str) -> int:
        return tabs.addTab(widget, title)

    def no_actions() -> TrackActions:
        raise AssertionError("this test opens no track menu")

    app.ctx = ViewContext(
        data_dir=data_dir,
        store=store,
        jobs=JobRunner(4, host, name="jobs"),
        writer=JobRunner(1, host, name="writer"),
        events=LibraryEvents(host),
        window=host,
        get_settings=lambda: app.settings,
        show_message=show_message,
        playback=Playback(host, backend=null_player_and_output),
        order=PlayOrder(),
        play_tracks=play_tracks,
        list_context=lambda: app.played[-1].context if app.played else "library",
        add_to_queue=app.queued.append,
        next_track=lambda: None,
        previous_track=lambda: None,
        set_volume=lambda volume: setattr(app.settings, "volume", volume),
        set_shuffle=lambda on: app.ctx.order.set_shuffle(on),
        set_repeat=lambda mode: app.ctx.order.set_repeat(mode),
        track_actions=no_actions,
        add_view=add_view,
        show_view=app.show_view,
        add_side_panel=lambda widget: host.layout().addWidget(widget),
    )
    return app
