"""How every view writes a track's length and a play's time, and the drag format of track ids."""

from __future__ import annotations

import datetime as dt

TRACK_IDS_MIME = "application/x-tonearm-track-ids"
"""Dragged tracks carry their ids, comma-separated, under this MIME type."""


def format_duration(seconds: float | None) -> str:
    if seconds is None or seconds != seconds:  # NaN
        return ""
    s = round(seconds)
    h, rem = divmod(s, 3600)
    return f"{h}:{rem // 60:02d}:{rem % 60:02d}" if h else f"{rem // 60}:{rem % 60:02d}"


def format_when(epoch: float, now: float) -> str:
    if not epoch:
        return ""
    age = now - epoch
    if age < 86400:
        return dt.datetime.fromtimestamp(epoch).strftime("%H:%M")
    return dt.datetime.fromtimestamp(epoch).strftime("%Y-%m-%d")


def count_of(n: int, noun: str, plural: str | None = None) -> str:
    """ "1 track", "2 tracks", "1,204 tracks": every count a view shows reads right."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
