"""Last.fm scrobbles as the export tools write them (Last.fm itself offers no export).

Two shapes: headed (`uts,utc_time,artist,artist_mbid,album,album_mbid,track,track_mbid`, as
the lastfm-to-csv exporters write it) or bare `artist,album,title,date` rows
("05 Mar 2021 20:15", benjaminbenben's lastfm-to-csv).
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from recommender.history.listens import Listen, ListenFile

SOURCE_LASTFM = "lastfm"
_DATE_FORMATS = (
    "%d %b %Y %H:%M",
    "%d %b %Y, %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
)


def read_lastfm_csv(text: str, name: str) -> ListenFile | None:
    """The scrobbles of a Last.fm CSV, or None when the text does not look like one."""
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error:
        return None
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        return None
    header = [h.strip().lower() for h in rows[0]]
    if {"artist", "track"} <= set(header) or {"artist", "title"} <= set(header):
        return _headed(rows, header, name)
    first = rows[0]
    if len(first) < 4 or _parse_date(first[3]) is None:
        return None
    out = ListenFile(SOURCE_LASTFM)
    for number, row in enumerate(rows, 1):
        where = f"{name} line {number}"
        if len(row) < 4:
            out.drop(where, "expected artist, album, title, date")
            continue
        when = _parse_date(row[3])
        if when is None:
            out.drop(where, f'cannot read the date "{row[3]}"')
        elif not row[0].strip() or not row[2].strip():
            out.drop(where, "no artist or title")
        else:
            out.listens.append(
                Listen(listened_at=when, artist=row[0], title=row[2], album=row[1] or None)
            )
    return out


def _headed(rows: list[list[str]], header: list[str], name: str) -> ListenFile:
    out = ListenFile(SOURCE_LASTFM)
    col = {h: i for i, h in enumerate(header)}
    title_col = col["track"] if "track" in col else col["title"]
    for number, row in enumerate(rows[1:], 2):
        where = f"{name} line {number}"
        if len(row) < len(header):
            out.drop(where, f"{len(row)} columns, the header has {len(header)}")
            continue
        when = _row_time(row, col)
        if when is None:
            out.drop(where, "cannot read the time")
        elif not row[col["artist"]].strip() or not row[title_col].strip():
            out.drop(where, "no artist or title")
        else:
            out.listens.append(
                Listen(
                    listened_at=when,
                    artist=row[col["artist"]],
                    title=row[title_col],
                    album=(row[col["album"]] or None) if "album" in col else None,
                    mb_recording_id=(row[col["track_mbid"]] or None)
                    if "track_mbid" in col
                    else None,
                )
            )
    return out


def _row_time(row: list[str], col: dict[str, int]) -> float | None:
    for name in ("uts", "timestamp", "date_uts"):
        if name in col and row[col[name]].strip().isdigit():
            return float(row[col[name]])
    for name in ("utc_time", "date", "time"):
        if name in col:
            return _parse_date(row[col[name]])
    return None


def _parse_date(text: str) -> float | None:
    text = text.strip()
    if text.isdigit():
        return float(text)
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC).timestamp()
        except ValueError:
            continue
    return None
