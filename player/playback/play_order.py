"""What plays next: the queue first, then the rest of the library list the user started from.

Plain Python (no Qt) so the rules are easy to test. The queue is the list the user builds (play
now / next / add); a double-click in the library plays that row and then carries on down the
library list as it was sorted and filtered at that moment, after any queued tracks.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

REPEAT_MODES: tuple[str, ...] = ("off", "all", "one")
HISTORY_MAX = 500


@dataclass(frozen=True)
class Choice:
    """A track to play and where it came from (the context recorded with the play)."""

    track_id: int
    source: str  # "queue" or "library"
    index: int  # position in the queue or in the library list


@dataclass
class PlayOrder:
    queue: list[int] = field(default_factory=list)
    queue_index: int = -1
    library: np.ndarray | None = None
    library_index: int = -1
    source: str | None = None
    shuffle: bool = False
    repeat: str = "off"
    continue_library: bool = False  # after queued tracks, carry on down the library list
    history: list[Choice] = field(default_factory=list)
    _planned: Choice | None = None
    rng: random.Random = field(default_factory=random.Random)
    listeners: list[Callable[[], None]] = field(default_factory=list)
    """Called after each change of what plays, what comes next, repeat or shuffle (MPRIS)."""

    # --- what is playing -------------------------------------------------------------------
    def current(self) -> Choice | None:
        if self.source == "queue" and 0 <= self.queue_index < len(self.queue):
            return Choice(self.queue[self.queue_index], "queue", self.queue_index)
        if (
            self.source == "library"
            and self.library is not None
            and (0 <= self.library_index < len(self.library))
        ):
            return Choice(int(self.library[self.library_index]), "library", self.library_index)
        return None

    def start_library(self, track_ids: np.ndarray, index: int) -> Choice:
        self._remember()
        self.library = np.asarray(track_ids, dtype=np.int64)
        self.library_index = index
        self.source = "library"
        self.continue_library = True
        self._planned = None
        self._changed()
        return self.current()  # type: ignore[return-value]

    def start_queue(self, index: int) -> Choice:
        self._remember()
        self.queue_index = index
        self.source = "queue"
        self.continue_library = False
        self._planned = None
        self._changed()
        return self.current()  # type: ignore[return-value]

    def jump(self, choice: Choice) -> None:
        """Make `choice` the current track (after `peek_next`/`previous` decided it)."""
        if choice.source == "queue":
            self.queue_index = choice.index
        else:
            self.library_index = choice.index
        self.source = choice.source
        self._planned = None
        self._changed()

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
        if choice is not None:
            if choice != self.current():
                self._remember()
            self.jump(choice)
        return choice

    def previous(self) -> Choice | None:
        """Back through what actually played (shuffle included), else one up the list."""
        if self.history:
            choice = self.history.pop()
            if choice.source == "queue" and choice.index >= len(self.queue):
                return None
            self.jump(choice)
            return choice
        cur = self.current()
        if cur is None or cur.index == 0:
            return None
        choice = Choice(self._id_at(cur.source, cur.index - 1), cur.source, cur.index - 1)
        self.jump(choice)
        return choice

    def _decide_next(self) -> Choice | None:
        pending_queue = self.queue_index + 1 < len(self.queue)
        if self.shuffle and not (pending_queue and self.continue_library):
            return self._shuffled()  # queued "play next" tracks still come first
        if pending_queue:
            i = self.queue_index + 1
            return Choice(self.queue[i], "queue", i)
        if self.continue_library and self.library is not None:
            if self.library_index + 1 < len(self.library):
                i = self.library_index + 1
                return Choice(int(self.library[i]), "library", i)
            if self.repeat == "all" and len(self.library):
                return Choice(int(self.library[0]), "library", 0)
            return None
        if self.repeat == "all" and self.queue:
            return Choice(self.queue[0], "queue", 0)
        return None

    def _shuffled(self) -> Choice | None:
        """Random among the queue when it is the source, else among the library list."""
        if self.continue_library and self.library is not None and len(self.library) > 1:
            i = self.rng.randrange(len(self.library) - 1)
            i = i + 1 if i >= self.library_index else i
            return Choice(int(self.library[i]), "library", i)
        if len(self.queue) > 1:
            i = self.rng.randrange(len(self.queue) - 1)
            i = i + 1 if i >= self.queue_index else i
            return Choice(self.queue[i], "queue", i)
        return None

    def _planned_valid(self, choice: Choice) -> bool:
        if choice.source == "queue":
            ok = 0 <= choice.index < len(self.queue) and self.queue[choice.index] == choice.track_id
            # a track queued after planning must still come first (unless shuffling)
            return ok and (self.shuffle or choice.index == self.queue_index + 1)
        return (
            self.continue_library
            and self.library is not None
            and (self.shuffle or not self.queue_index + 1 < len(self.queue))
        )

    def _id_at(self, source: str, index: int) -> int:
        if source == "queue":
            return self.queue[index]
        assert self.library is not None
        return int(self.library[index])

    def _changed(self) -> None:
        for listener in list(self.listeners):
            listener()

    def _remember(self) -> None:
        cur = self.current()
        if cur is not None:
            self.history.append(cur)
            del self.history[:-HISTORY_MAX]

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
        """How many tracks of the library list are still to come after the current one."""
        if self.library is None:
            return 0
        return max(0, len(self.library) - self.library_index - 1)

    # --- queue edits keep the current index pointing at the same entry ------------------------
    def insert(self, at: int, track_ids: list[int]) -> None:
        self.queue[at:at] = track_ids
        if self.queue_index >= at:
            self.queue_index += len(track_ids)
        self._planned = None
        self.history = [c for c in self.history if c.source != "queue"]
        self._changed()

    def remove(self, rows: list[int]) -> None:
        for row in sorted(set(rows), reverse=True):
            del self.queue[row]
            if row < self.queue_index:
                self.queue_index -= 1
            elif row == self.queue_index:
                self.queue_index = row - 1
                if self.source == "queue":
                    self.source = None
        self._planned = None
        self.history = [c for c in self.history if c.source != "queue"]
        self._changed()

    def move(self, rows: list[int], to: int) -> int:
        """Move rows (any order) before position `to`; returns where the block now starts."""
        rows = sorted(set(rows))
        current_entry = self.queue_index
        moving = [self.queue[r] for r in rows]
        keep = [(i, t) for i, t in enumerate(self.queue) if i not in set(rows)]
        insert_at = sum(1 for i, _t in keep if i < to)
        new_order = [i for i, _t in keep]
        new_order[insert_at:insert_at] = rows
        self.queue = [
            *(t for _i, t in keep[:insert_at]),
            *moving,
            *(t for _i, t in keep[insert_at:]),
        ]
        if current_entry >= 0:
            self.queue_index = new_order.index(current_entry)
        self._planned = None
        self.history = [c for c in self.history if c.source != "queue"]
        self._changed()
        return insert_at

    def clear(self) -> None:
        self.queue = []
        self.queue_index = -1
        if self.source == "queue":
            self.source = None
        self._planned = None
        self.history = [c for c in self.history if c.source != "queue"]
        self._changed()
