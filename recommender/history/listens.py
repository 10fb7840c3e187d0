"""A listen as other services and players write it, and what reading one file of them gave."""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_DROP_REASONS = 5
"""How many reasons for dropped lines a report keeps (the count is always complete)."""


@dataclass(frozen=True, slots=True)
class Listen:
    """One listen from another service or player, before matching."""

    listened_at: float
    artist: str
    title: str
    album: str | None = None
    mb_recording_id: str | None = None
    duration_s: float | None = None
    """The track's length, when the file says."""
    user: str | None = None
    seconds_played: float | None = None
    """Only when the file says; else the listen counts as complete."""
    skipped: bool | None = None
    """When the file says outright (a Rockbox "S" row, Tonearm's own export); else derived."""


@dataclass
class ListenFile:
    """The listens read from one file, and the lines that could not be read, with why."""

    source: str
    listens: list[Listen] = field(default_factory=list)
    dropped: int = 0
    reasons: list[str] = field(default_factory=list)

    def drop(self, where: str, reason: str) -> None:
        """Count a line that is not a usable listen; keep the first few reasons for the report."""
        self.dropped += 1
        if len(self.reasons) < MAX_DROP_REASONS:
            self.reasons.append(f"{where}: {reason}")
