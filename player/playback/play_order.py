"""What plays next: the queue first, then the rest of the list the user started from.

Plain Python (no Qt) so the rules are easy to test. The queue holds only what is still to come
(play now / next / add): a queued track leaves it when it starts, so the panel never fills with
what already played (the history view keeps that). A double-click in the library plays that
row and then carries on down the library list as it was sorted and filtered at that moment,
after any queued tracks; under repeat all a queued track goes to the back of the queue as it
ends, so a queue of its own repeats. A queued track that the list holds moves the list's place
to it as it plays (foobar2000's and Strawberry's rule), so the list carries on after the last
queued track it holds instead of playing the queued ones again.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

REPEAT_MODES: tuple[str, ...] = ("off", "all", "one")
HISTORY_MAX = 500
QUEUE = "queue"
LIST = "library"


@dataclass(frozen=True)
class Choice:
    """A track to play and where it came from (the context recorded with the play)."""

    track_id: int
    source: str  # "queue" or "library" (the list being played)
    index: int  # in the queue (while to come) or the list; -1 once playing from the queue


@dataclass
class PlayOrder:
    queue: list[int] = field(default_factory=list)
    library: np.ndarray | None = None
    library_index: int = -1
    playing: Choice | None = None
    shuffle: bool = False
    repeat: str = "off"
    continue_library: bool = False  # after queued tracks, carry on down the library list
    history: list[Choice] = field(default_factory=list)
    _planned: Choice | None = None
    rng: random.Random = field(default_factory=random.Random)
    listeners: list[Callable[[], None]] = field(default_factory=list)
    """Called after each change of what plays, what comes next, repeat or shuffle (MPRIS)."""
    ahead_removed: list[Callable[[list[int]], None]] = field(default_factory=list)
    """Called with the track ids the listener took out of the list ahead (the radio learns)."""

    # --- what is playing -------------------------------------------------------------------
    def current(self) -> Choice | None:
        return self.playing

    @property
    def source(self) -> str | None:
        return self.playing.source if self.playing is not None else None

    def start_library(self, track_ids: np.ndarray, index: int) -> Choice:
        """Play row `index` of a list and carry on down it; the track leaves the queue if queued."""
        self._leave()
        self.library = np.asarray(track_ids, dtype=np.int64)
        self.library_index = index
        self.continue_library = True
        tid = int(self.library[index])
        if tid in self.queue:  # it plays now: no longer still to come
            self.queue.remove(tid)
        self.playing = Choice(tid, LIST, index)
        self._planned = None
        self._changed()
        return self.playing

    def start_queue(self, index: int) -> Choice:
        """Play queue entry `index` now; it leaves the queue, the entries above it stay."""
        self._leave()
        self.continue_library = False
        self.playing = Choice(self.queue.pop(index), QUEUE, -1)
        self._planned = None
        self._changed()
        return self.playing

    def set_playing(self, track_id: int) -> None:
        """A track playing outside any list (restored after a restart): the queue follows it."""
        self.playing = Choice(int(track_id), QUEUE, -1)
        self.continue_library = False
        self._planned = None
        self._changed()

    def jump(self, choice: Choice) -> None:
        """Make `choice` the current track (after `peek_next` decided it)."""
        self._leave()
        self._take(choice)
        self._changed()

    def _take(self, choice: Choice) -> None:
        if choice.source == QUEUE:
            i = choice.index
            if not (0 <= i < len(self.queue) and self.queue[i] == choice.track_id):
                i = self.queue.index(choice.track_id) if choice.track_id in self.queue else -1
            if i >= 0:
                del self.queue[i]
            self.playing = Choice(choice.track_id, QUEUE, -1)
            held = self._list_position(choice.track_id)
            if held is not None:
                self.library_index = held
        else:
            self.library_index = choice.index
            self.playing = choice
        self._planned = None

    def _leave(self) -> None:
        """Before the current track changes: remember it; under repeat all a queued one requeues."""
        cur = self.playing
        if cur is None:
            return
        self.history.append(cur)
        del self.history[:-HISTORY_MAX]
        if cur.source == QUEUE and self.repeat == "all" and not self.continue_library:
            self.queue.append(cur.track_id)

    # --- what comes next -------------------------------------------------------------------
    def peek_next(self, *, automatic: bool = True) -> Choice | None:
        """The next track without moving there (the player pre-loads it)."""
        if automatic and self.repeat == "one":
            return self.current()
        if self._planned is not None and self._planned_valid(self._planned):
            return self._planned
        choice = self._decide_next()
        self._planned = choice
        return choice

    def advance(self, *, automatic: bool = True) -> Choice | None:
        choice = self.peek_next(automatic=automatic)
        if choice is not None and choice != self.current():
            self.jump(choice)
        elif choice is not None:
            self._planned = None
            self._changed()
        return choice

    def previous(self) -> Choice | None:
        """Back through what actually played (shuffle included), else one up the list. A queued
        track left this way goes back to the top of the queue: it is still to come."""
        if self.history:
            choice = self.history.pop()
            if choice.source == LIST and not self._list_holds(choice):
                choice = Choice(choice.track_id, QUEUE, -1)
            self._back_to(choice)
            return choice
        cur = self.current()
        if cur is None or cur.source != LIST or cur.index <= 0:
            return None
        assert self.library is not None
        choice = Choice(int(self.library[cur.index - 1]), LIST, cur.index - 1)
        self._back_to(choice)
        return choice

    def _back_to(self, choice: Choice) -> None:
        cur = self.playing
        if cur is not None and cur.source == QUEUE:
            self.queue.insert(0, cur.track_id)
        if choice.source == LIST:
            self.library_index = choice.index
        self.playing = choice
        self._planned = None
        self._changed()

    def _list_position(self, track_id: int) -> int | None:
        """Where the list being carried on holds ``track_id``, if it does: its first place
        after the current one, else its first place (a list may hold a track twice)."""
        if not self.continue_library or self.library is None:
            return None
        places = np.flatnonzero(self.library == track_id)
        return _first_after(places, self.library_index) if len(places) else None

    def _ahead_start(self) -> int:
        """The list's place after the queue: after the last queued track it holds, where the
        queue leaves it, else after the current place. One pass over the list, however long
        the queue (the panel asks on every change, on the GUI thread)."""
        lib = self.library
        if self.queue and self.continue_library and lib is not None:
            held = np.flatnonzero(np.isin(lib, self.queue))
            if len(held):
                places: dict[int, list[int]] = {}
                for place in held.tolist():
                    places.setdefault(int(lib[place]), []).append(place)
                for track_id in reversed(self.queue):
                    if track_id in places:
                        return _first_after(np.array(places[track_id]), self.library_index) + 1
        return self.library_index + 1

    def _list_holds(self, choice: Choice) -> bool:
        lib = self.library
        i = choice.index
        return lib is not None and 0 <= i < len(lib) and lib[i] == choice.track_id

    def _decide_next(self) -> Choice | None:
        if self.shuffle and not (self.queue and self.continue_library):
            return self._shuffled()  # queued "play next" tracks still come first
        if self.queue:
            return Choice(self.queue[0], QUEUE, 0)
        if self.continue_library and self.library is not None:
            if self.library_index + 1 < len(self.library):
                i = self.library_index + 1
                return Choice(int(self.library[i]), LIST, i)
            if self.repeat == "all" and len(self.library):
                return Choice(int(self.library[0]), LIST, 0)
            return None
        return self._requeued()

    def _requeued(self) -> Choice | None:
        """Repeat all with a queue of one: the playing track comes round again."""
        cur = self.playing
        if self.repeat == "all" and cur is not None and cur.source == QUEUE:
            return Choice(cur.track_id, QUEUE, 0)
        return None

    def _shuffled(self) -> Choice | None:
        """Random among the queue when it is the source, else among the library list."""
        if self.continue_library and self.library is not None and len(self.library) > 1:
            i = self.rng.randrange(len(self.library) - 1)
            i = i + 1 if i >= self.library_index else i
            return Choice(int(self.library[i]), LIST, i)
        if self.queue:
            i = self.rng.randrange(len(self.queue))
            return Choice(self.queue[i], QUEUE, i)
        return self._requeued()

    def _planned_valid(self, choice: Choice) -> bool:
        if choice.source == QUEUE:
            if not self.queue:
                return self._requeued() == choice
            ok = 0 <= choice.index < len(self.queue) and self.queue[choice.index] == choice.track_id
            # a track queued after planning must still come first (unless shuffling)
            return ok and (self.shuffle or choice.index == 0)
        return (
            self.continue_library
            and self.library is not None
            and (self.shuffle or not self.queue)
            and self._list_holds(choice)
        )

    def _changed(self) -> None:
        for listener in list(self.listeners):
            listener()

    def extend_library(self, track_ids: list[int], *, after: int | None = None) -> None:
        """Add tracks at the end of the list being played (a radio refill); with `after`, drop
        what follows that index first (the radio changed its mind after a skip)."""
        current = self.library if self.library is not None else np.empty(0, np.int64)
        if after is not None:
            current = current[: after + 1]
        self.library = np.concatenate([current, np.asarray(track_ids, dtype=np.int64)])
        self._planned = None
        self._changed()

    def set_shuffle(self, on: bool) -> None:
        """Shuffle on or off; the next track is decided afresh."""
        self.shuffle = on
        self._planned = None
        self._changed()

    def set_repeat(self, mode: str) -> None:
        """Repeat "off", "all" or "one"; the next track is decided afresh."""
        self.repeat = mode
        self._planned = None
        self._changed()

    def upcoming_library(self) -> int:
        """How many tracks of the library list are still to come after the queue."""
        if self.library is None or not self.continue_library:
            return 0
        return max(0, len(self.library) - self._ahead_start())

    def ahead(self, n: int) -> list[int]:
        """The next `n` tracks of the list after the queue (what the panel shows under it)."""
        if self.library is None or not self.continue_library:
            return []
        start = self._ahead_start()
        return [int(t) for t in self.library[start : start + n]]

    def remove_ahead(self, offsets: list[int]) -> list[int]:
        """Take entries of the list ahead out (0 = the next one); returns their track ids and
        tells `ahead_removed` listeners (a radio counts them as skips)."""
        if self.library is None or not offsets:
            return []
        start, upcoming = self._ahead_start(), self.upcoming_library()
        positions = sorted({start + o for o in offsets if 0 <= o < upcoming})
        removed = [int(self.library[p]) for p in positions]
        self.library = np.delete(self.library, positions)
        self._planned = None
        self._changed()
        for listener in list(self.ahead_removed):
            listener(removed)
        return removed

    # --- queue edits ---------------------------------------------------------------------------
    def insert(self, at: int, track_ids: list[int]) -> None:
        self.queue[at:at] = track_ids
        self._planned = None
        self._changed()

    def remove(self, rows: list[int]) -> None:
        for row in sorted(set(rows), reverse=True):
            if 0 <= row < len(self.queue):
                del self.queue[row]
        self._planned = None
        self._changed()

    def move(self, rows: list[int], to: int) -> int:
        """Move rows (any order) before position `to`; returns where the block now starts."""
        rows = sorted(set(rows))
        moving = [self.queue[r] for r in rows]
        keep = [(i, t) for i, t in enumerate(self.queue) if i not in set(rows)]
        insert_at = sum(1 for i, _t in keep if i < to)
        self.queue = [
            *(t for _i, t in keep[:insert_at]),
            *moving,
            *(t for _i, t in keep[insert_at:]),
        ]
        self._planned = None
        self._changed()
        return insert_at

    def clear(self) -> None:
        self.queue = []
        self._planned = None
        self._changed()


def _first_after(places: np.ndarray, index: int) -> int:
    """The first of ``places`` (ascending, not empty) after ``index``, else the first."""
    later = places[places > index]
    return int(later[0] if len(later) else places[0])
