"""How every view writes a track's length and a play's time, and the drag format of track ids."""

from __future__ import annotations

import datetime as dt

from recommender.core.text import count_of
from recommender.core.text import format_duration as _format_duration

__all__ = ["TRACK_IDS_MIME", "count_of", "format_duration", "format_when"]

TRACK_IDS_MIME = "application/x-tonearm-track-ids"
"""Dragged tracks carry their ids, comma-separated, under this MIME type."""


def format_duration(seconds: float | None) -> str:
    """A length for a table cell: blank when unknown."""
    return _format_duration(seconds, missing="")


def format_when(epoch: float, now: float) -> str:
    if not epoch:
        return ""
    age = now - epoch
    if age < 86400:
        return dt.datetime.fromtimestamp(epoch).strftime("%H:%M")
    return dt.datetime.fromtimestamp(epoch).strftime("%Y-%m-%d")
