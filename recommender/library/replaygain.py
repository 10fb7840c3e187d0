"""ReplayGain: the volume factor for a track from its gain tags, a mode and a preamp."""

from __future__ import annotations

REPLAYGAIN_MODES: tuple[str, ...] = ("off", "track", "album")
NO_TAG_GAIN_DB = 0.0
"""Tracks without gain tags play at the preamp only (no guessed loudness)."""


def replaygain_factor(
    mode: str,
    preamp_db: float,
    track_gain_db: float | None,
    album_gain_db: float | None,
    track_peak: float | None = None,
    album_peak: float | None = None,
) -> float:
    """Linear amplitude factor, capped so that the tagged peak never clips (factor * peak <= 1)."""
    if mode == "off":
        return 1.0
    if mode == "album":
        gain = album_gain_db if album_gain_db is not None else track_gain_db
        peak = album_peak if album_peak is not None else track_peak
    else:
        gain = track_gain_db if track_gain_db is not None else album_gain_db
        peak = track_peak if track_peak is not None else album_peak
    factor = 10.0 ** (((NO_TAG_GAIN_DB if gain is None else gain) + preamp_db) / 20.0)
    if peak and peak > 0:
        factor = min(factor, 1.0 / peak)
    return factor
