"""The Audioscrobbler portable log (`.scrobbler.log`) that Rockbox and other players write.

Header lines `#AUDIOSCROBBLER/1.1`, `#TZ/UTC` or `#TZ/UNKNOWN` (the device clock's local time,
read here as this machine's time zone, as ListenBrainz reads it in the user's), `#CLIENT/...`;
then one tab-separated row a track: artist, album, title, track number, duration in seconds,
rating (`L` listened to at least half, `S` skipped), start time, MusicBrainz id (may be empty
or, in version 1.0, absent). ListenBrainz's importer drops `S` rows; Tonearm keeps them as skips.
"""

from __future__ import annotations

from datetime import UTC, datetime

from recommender.history.listens import Listen, ListenFile

SOURCE_SCROBBLER_LOG = "scrobbler-log"
HEADER = "#AUDIOSCROBBLER/"
_UNTAGGED = "<Untagged>"


def is_scrobbler_log(text: str) -> bool:
    return text.lstrip("\ufeff").startswith(HEADER)


def read_scrobbler_log(text: str, name: str) -> ListenFile:
    out = ListenFile(SOURCE_SCROBBLER_LOG)
    local_time = True
    for number, line in enumerate(text.splitlines(), 1):
        line = line.lstrip("\ufeff")
        if not line.strip():
            continue
        if line.startswith("#"):
            if line.startswith("#TZ/"):
                local_time = line[4:].strip().upper() != "UTC"
            continue
        where = f"{name} line {number}"
        fields = line.split("\t")
        if len(fields) not in (7, 8):
            out.drop(where, f"{len(fields)} tab-separated fields, expected 8")
            continue
        artist, album, title, _number, duration, rating, stamp = (f.strip() for f in fields[:7])
        mbid = fields[7].strip() if len(fields) == 8 else ""
        if not artist or artist == _UNTAGGED or not title:
            out.drop(where, "an untagged file (no artist or title)")
            continue
        if rating not in ("L", "S"):
            out.drop(where, f'rating "{rating}", expected L or S')
            continue
        try:
            when = int(stamp)
        except ValueError:
            out.drop(where, f'cannot read the time "{stamp}"')
            continue
        try:
            length = float(duration) if duration else None
        except ValueError:
            length = None
        out.listens.append(
            Listen(
                listened_at=_local_to_utc(when) if local_time else float(when),
                artist=artist,
                title=title,
                album=album or None,
                mb_recording_id=mbid or None,
                duration_s=length if length and length > 0 else None,
                skipped=rating == "S",
            )
        )
    return out


def _local_to_utc(stamp: int) -> float:
    """A device's wall-clock seconds since 1970, read as this machine's local time."""
    wall = datetime.fromtimestamp(stamp, UTC).replace(tzinfo=None)
    return wall.astimezone().timestamp()
