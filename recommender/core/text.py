"""Wording shared by the CLI and the GUI: a track's length and a count with its noun."""

from __future__ import annotations


def format_duration(seconds: float | None, missing: str = "--:--") -> str:
    """ "3:07", "1:02:03"; ``missing`` for an unknown (None or NaN) length."""
    if seconds is None or seconds != seconds:  # NaN
        return missing
    s = round(seconds)
    h, rem = divmod(s, 3600)
    return f"{h}:{rem // 60:02d}:{rem % 60:02d}" if h else f"{rem // 60}:{rem % 60:02d}"


def count_of(n: int, noun: str, plural: str | None = None) -> str:
    """ "1 track", "2 tracks", "1,204 tracks": every count Tonearm shows reads right."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
