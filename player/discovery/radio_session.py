"""Start radio from a track: an endless list that refills before it runs dry and heeds skips.

The core's `Radio` keeps the session's state (what played, what was skipped); it lives on the
taste worker thread and is only ever called there. The window plays the radio as its list
(`play_tracks(..., context="radio")`, so plays are recorded as radio); when few tracks are left
the session asks for more, and after a skip it replaces what was lined up with fresh picks
steered away from the skipped track.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from player.workers.events import PlaysRecorded
from player.workers.taste_worker import TasteWorker
from recommender.discovery.radio import Radio, RadioSeed
from recommender.history.plays import Play, record_play
from recommender.library.tracks import artist_and_title, get_track

if TYPE_CHECKING:
    from player.workers.context import ViewContext

RADIO_CONTEXT = "radio"
RADIO_BATCH = 10
"""Tracks asked for at a time."""
LOW_WATER = 4
"""Refill when fewer than this many radio tracks are left after the one playing."""


class RadioSession(QObject):
    """The window's current radio (at most one); ends when another list is played."""

    started = Signal(str)  # the seed's label
    refilled = Signal(int)  # tracks lined up after the current one

    def __init__(
        self,
        ctx: ViewContext,
        worker: TasteWorker,
        *,
        batch: int = RADIO_BATCH,
        low_water: int = LOW_WATER,
    ) -> None:
        super().__init__(ctx.window)
        self.ctx = ctx
        self.worker = worker
        self.batch = batch
        self.low_water = low_water
        self.radio: Radio | None = None
        self.label = ""
        self._generation = 0
        self._pending = False
        ctx.playback.trackChanged.connect(self._track_changed)
        ctx.events.playsRecorded.connect(self._plays_recorded)
        ctx.order.ahead_removed.append(self._removed_ahead)

    @property
    def active(self) -> bool:
        return self.radio is not None and self.ctx.list_context() == RADIO_CONTEXT

    def start(self, track_id: int) -> None:
        """Radio from a track: it plays first, then the radio's picks."""
        self._generation += 1
        generation, batch = self._generation, self.batch

        def begin(store, worker: TasteWorker) -> tuple[Radio, list[int]]:
            track = get_track(store, track_id)
            label = artist_and_title(track)
            radio = Radio(store, RadioSeed("track", label, (track_id,)), model=worker.model(store))
            return radio, [r.track.id for r in radio.next(batch) if r.track is not None]

        self.ctx.show_message("Starting radio…", 3000)
        self.worker.submit(
            begin,
            on_done=lambda result: self._begun(generation, track_id, *result),
            on_error=lambda m: self.ctx.show_message(f"Could not start radio: {m}"),
        )

    def _begun(self, generation: int, seed_id: int, radio: Radio, ids: list[int]) -> None:
        if generation != self._generation:
            return
        self.radio = radio
        self._pending = False
        self.label = radio.seed.label
        self.ctx.play_tracks(
            [seed_id, *ids], 0, context=RADIO_CONTEXT, title=f"Radio from {self.label}"
        )
        self.ctx.show_message(f"Radio from {self.label}", 5000)
        self.started.emit(self.label)

    # --- keeping it going -------------------------------------------------------------------
    def _track_changed(self, _track) -> None:
        if self.active and self.ctx.order.upcoming_library() < self.low_water:
            self.refill()

    def refill(self, *, replace_after: int | None = None, skipped: int | None = None) -> None:
        """Ask the radio for the next batch; with `replace_after`, drop what was lined up."""
        if self.radio is None or (self._pending and replace_after is None):
            return
        self._pending = True
        radio, generation, batch = self.radio, self._generation, self.batch

        def more(store, _worker) -> list[int]:
            radio.store = store  # the Radio reads track rows through the store of this thread
            if skipped is not None:
                radio.skipped(skipped)
            return [r.track.id for r in radio.next(batch) if r.track is not None]

        self.worker.submit(
            more,
            on_done=lambda ids: self._refilled(generation, ids, replace_after),
            on_error=lambda m: self._refill_failed(m),
        )

    def _refilled(self, generation: int, ids: list[int], replace_after: int | None) -> None:
        self._pending = False
        if generation != self._generation or not self.active:
            return
        self.ctx.order.extend_library(ids, after=replace_after)
        self.refilled.emit(self.ctx.order.upcoming_library())

    def _refill_failed(self, message: str) -> None:
        self._pending = False
        self.ctx.show_message(f"Radio could not find more tracks: {message}")

    def _removed_ahead(self, track_ids: list[int]) -> None:
        """Taken out of the radio's next tracks: a skip that teaches. It is recorded as a
        0-second radio play (a skip to the taste model), and the radio re-picks after it."""
        if not self.active or not track_ids:
            return

        def write(store, _job) -> list[Play]:
            return [record_play(store, tid, 0.0, context=RADIO_CONTEXT) for tid in track_ids]

        self.ctx.writer.start(
            write,
            data_dir=self.ctx.data_dir,
            on_done=lambda plays: [self.ctx.events.play_recorded(p) for p in plays],
            on_error=lambda m: self.ctx.show_message(f"Could not record the skip: {m}"),
        )

    def _plays_recorded(self, recorded: PlaysRecorded) -> None:
        for play in recorded.plays:
            self._play_recorded(play)

    def _play_recorded(self, play: Play) -> None:
        """A skip steers the radio away (and re-picks what was lined up); other plays count."""
        if self.radio is None:
            return
        if play.context == RADIO_CONTEXT and play.skipped and self.active:
            self.refill(replace_after=self.ctx.order.library_index, skipped=play.track_id)
        elif play.context == "queue" and not play.skipped and self.active:
            radio, track_id = self.radio, play.track_id
            self.worker.submit(lambda _store, _w: radio.played(track_id))
