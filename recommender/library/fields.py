"""Every track field, declared once on the `Track` record.

A field says here how it is stored (SQL type, the schema version that added it), where the
scanner gets it (a tag rule, or the audio stream), how the query language searches it, whether
the library table keeps it in memory, and how the table shows and sorts it. The schema, the
scanner's columns, the query fields, `LibraryColumns` and the GUI's table all read this module,
so adding a field is: declare it here, append `added_columns(N)` to `schema.MIGRATIONS`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

TagParse = Literal["text", "joined", "number", "total", "year", "gain"]
Kind = Literal["id", "text", "path", "int", "year", "float", "duration", "time", "bool", "count"]


@dataclass(frozen=True)
class TagRule:
    """Where a field's value sits in a file's tags, and how the text becomes the value.

    `keys` are the flattened, lower-cased keys across ID3, Vorbis comments, MP4, APEv2 and ASF,
    best first. `parse`: "text" the first value; "joined" all values joined with "; ";
    "number"/"total" the two halves of "3/12"; "year" the first plausible year; "gain" a
    ReplayGain number. `fallback` keys are read when the first keys give no value ("total":
    TRACKTOTAL beside TRACKNUMBER). `txxx` also matches ID3 TXXX frames whatever their case.
    """

    keys: tuple[str, ...]
    parse: TagParse = "text"
    fallback: tuple[str, ...] = ()
    txxx: bool = False


@dataclass(frozen=True)
class FieldSpec:
    """One track field; `name` is the attribute and the column, `key` its name in views."""

    name: str
    sql: str
    kind: Kind
    since: int = 1
    source: Literal["store", "file", "audio", "tag"] = "store"
    tag: TagRule | None = None
    query: str | None = None
    plain: bool = False
    in_memory: bool = False
    label: str | None = None
    key: str = ""

    @property
    def view_key(self) -> str:
        return self.key or self.name


def _field(
    sql: str,
    kind: Kind,
    default: Any = None,
    **spec: Any,
) -> Any:
    return dataclasses.field(default=default, metadata={"spec": dict(sql=sql, kind=kind, **spec)})


def _tag(*keys: str, parse: TagParse = "text", fallback: tuple[str, ...] = (), txxx: bool = False):
    return TagRule(keys, parse, fallback, txxx)


_TRACK_KEYS = ("trck", "tracknumber", "trkn", "track", "wm/tracknumber")
_DISC_KEYS = ("tpos", "discnumber", "disk", "disc", "wm/partofset")
_DATE_KEYS = ("tdrc", "tyer", "date", "year", "©day", "wm/year", "tdor", "originaldate")
_ARTIST_KEYS = ("tpe1", "artist", "©art", "author")
_ALBUMARTIST_KEYS = (
    "tpe2",
    "albumartist",
    "album artist",
    "album_artist",
    "aart",
    "wm/albumartist",
)
_MB = "----:com.apple.itunes:musicbrainz"
_REQUIRED: Any = dataclasses.MISSING


@dataclass(frozen=True, slots=True)
class Track:
    """One indexed file. `guessed` names fields taken from the file name or folders, not tags."""

    id: int = _field("INTEGER PRIMARY KEY", "id", _REQUIRED)
    path: str = _field(
        "TEXT NOT NULL UNIQUE", "path", _REQUIRED, source="file", query="path", in_memory=True
    )
    size: int = _field("INTEGER NOT NULL", "int", _REQUIRED, source="file")
    mtime: float = _field("REAL NOT NULL", "float", _REQUIRED, source="file")
    format: str | None = _field("TEXT", "text", source="audio")
    codec: str | None = _field("TEXT", "text", source="audio")
    duration: float | None = _field(
        "REAL", "duration", source="audio", in_memory=True, label="Length"
    )
    sample_rate: int | None = _field("INTEGER", "int", source="audio")
    channels: int | None = _field("INTEGER", "int", source="audio")
    bitrate: int | None = _field("INTEGER", "int", source="audio")
    title: str | None = _field(
        "TEXT", "text", source="tag", tag=_tag("tit2", "title", "©nam"), query="title",
        plain=True, in_memory=True, label="Title",
    )  # fmt: skip
    artist: str | None = _field(
        "TEXT", "text", source="tag", tag=_tag(*_ARTIST_KEYS, parse="joined"), query="artist",
        plain=True, in_memory=True, label="Artist",
    )  # fmt: skip
    album: str | None = _field(
        "TEXT", "text", source="tag", tag=_tag("talb", "album", "©alb", "wm/albumtitle"),
        query="album", plain=True, in_memory=True, label="Album",
    )  # fmt: skip
    albumartist: str | None = _field(
        "TEXT", "text", source="tag", tag=_tag(*_ALBUMARTIST_KEYS, parse="joined"),
        query="artist", plain=True, in_memory=True,
    )  # fmt: skip
    tracknumber: int | None = _field(
        "INTEGER", "int", source="tag", tag=_tag(*_TRACK_KEYS, parse="number"), in_memory=True
    )
    tracktotal: int | None = _field(
        "INTEGER", "int", source="tag",
        tag=_tag(*_TRACK_KEYS, parse="total", fallback=("tracktotal", "totaltracks")),
    )  # fmt: skip
    discnumber: int | None = _field(
        "INTEGER", "int", source="tag", tag=_tag(*_DISC_KEYS, parse="number"), in_memory=True
    )
    disctotal: int | None = _field(
        "INTEGER", "int", source="tag",
        tag=_tag(*_DISC_KEYS, parse="total", fallback=("disctotal", "totaldiscs")),
    )  # fmt: skip
    year: int | None = _field(
        "INTEGER", "year", source="tag", tag=_tag(*_DATE_KEYS, parse="year"), query="year",
        in_memory=True, label="Year",
    )  # fmt: skip
    date: str | None = _field("TEXT", "text", source="tag", tag=_tag(*_DATE_KEYS))
    genre: str | None = _field(
        "TEXT", "text", source="tag", tag=_tag("tcon", "genre", "©gen", "wm/genre", parse="joined"),
        query="genre", in_memory=True, label="Genre",
    )  # fmt: skip
    mb_recording_id: str | None = _field(
        "TEXT", "text", source="tag",
        tag=_tag(
            "ufid:http://musicbrainz.org", "musicbrainz_trackid", "musicbrainz track id",
            f"{_MB} track id", "musicbrainz/track id", "txxx:musicbrainz release track id",
            txxx=True,
        ),
    )  # fmt: skip
    mb_album_id: str | None = _field(
        "TEXT", "text", source="tag",
        tag=_tag(
            "txxx:musicbrainz album id", "musicbrainz_albumid", "musicbrainz album id",
            f"{_MB} album id", "musicbrainz/album id", txxx=True,
        ),
    )  # fmt: skip
    mb_artist_id: str | None = _field(
        "TEXT", "text", source="tag",
        tag=_tag(
            "txxx:musicbrainz artist id", "musicbrainz_artistid", "musicbrainz artist id",
            f"{_MB} artist id", "musicbrainz/artist id", txxx=True,
        ),
    )  # fmt: skip
    rg_track_gain: float | None = _field(
        "REAL", "float", source="tag", tag=_tag("replaygain_track_gain", parse="gain", txxx=True)
    )
    rg_album_gain: float | None = _field(
        "REAL", "float", source="tag", tag=_tag("replaygain_album_gain", parse="gain", txxx=True)
    )
    rg_track_peak: float | None = _field(
        "REAL", "float", source="tag", tag=_tag("replaygain_track_peak", parse="gain", txxx=True)
    )
    rg_album_peak: float | None = _field(
        "REAL", "float", source="tag", tag=_tag("replaygain_album_peak", parse="gain", txxx=True)
    )
    has_cover: bool = _field("INTEGER NOT NULL DEFAULT 0", "bool", False, source="audio")
    guessed: str = _field("TEXT NOT NULL DEFAULT ''", "text", "", source="audio")
    added_at: float = _field(
        "REAL NOT NULL", "time", 0.0, in_memory=True, label="Added", key="added"
    )
    updated_at: float = _field("REAL NOT NULL", "time", 0.0)
    missing: bool = _field("INTEGER NOT NULL DEFAULT 0", "bool", False)
    composer: str | None = _field(
        "TEXT", "text", since=3, source="tag", query="composer", in_memory=True, label="Composer",
        tag=_tag("tcom", "composer", "©wrt", "wm/composer", parse="joined"),
    )  # fmt: skip
    # The names as matching compares them (`names.name_keys`), stored so that a model load does
    # not normalise every name again; NULL where not computed yet (readers then compute it).
    artist_key: str | None = _field("TEXT", "text", since=5)
    title_key: str | None = _field("TEXT", "text", since=5)
    albumartist_key: str | None = _field("TEXT", "text", since=5)

    @property
    def display_title(self) -> str:
        return self.title or self.path.rsplit("/", 1)[-1]

    def to_json(self) -> dict[str, object]:
        """Stable JSON shape: always id, path, title, artist, album, duration, then the rest."""
        data = dataclasses.asdict(self)
        data["guessed"] = [g for g in self.guessed.split(",") if g]
        return data


def _specs() -> tuple[FieldSpec, ...]:
    out = []
    for f in dataclasses.fields(Track):
        out.append(FieldSpec(name=f.name, **f.metadata["spec"]))
    return tuple(out)


TRACK_FIELDS: tuple[FieldSpec, ...] = _specs()
FIELDS_BY_NAME: dict[str, FieldSpec] = {f.name: f for f in TRACK_FIELDS}
TRACK_COLUMNS: tuple[str, ...] = tuple(f.name for f in TRACK_FIELDS)
SCANNED_COLUMNS: tuple[str, ...] = tuple(
    f.name for f in TRACK_FIELDS if f.source in ("audio", "tag")
)
"""What one file's tag reading fills in (besides path, size and mtime)."""
TAG_FIELDS: tuple[FieldSpec, ...] = tuple(f for f in TRACK_FIELDS if f.tag is not None)

QUERY_FIELDS: dict[str, tuple[str, ...]] = {}
"""Query keyword -> the columns it searches (`artist:` covers the album artist too)."""
for _f in TRACK_FIELDS:
    if _f.query:
        QUERY_FIELDS[_f.query] = (*QUERY_FIELDS.get(_f.query, ()), _f.name)
PLAIN_FIELDS: tuple[str, ...] = tuple(f.name for f in TRACK_FIELDS if f.plain)
TEXT_QUERY_FIELDS: dict[str, tuple[str, ...]] = {
    k: cols for k, cols in QUERY_FIELDS.items() if FIELDS_BY_NAME[cols[0]].kind in ("text", "path")
}
RANGE_QUERY_FIELDS: dict[str, str] = {
    k: cols[0] for k, cols in QUERY_FIELDS.items() if FIELDS_BY_NAME[cols[0]].kind == "year"
}

MEMORY_FIELDS: tuple[FieldSpec, ...] = tuple(f for f in TRACK_FIELDS if f.in_memory)
"""Fields `LibraryColumns` holds for every track (text as lists, numbers as arrays)."""


@dataclass(frozen=True)
class TableColumn:
    """A column of the library table: a track field, or a number derived from the history."""

    key: str
    label: str
    kind: Kind
    hidden: bool = False


PLAY_COLUMNS: tuple[TableColumn, ...] = (
    TableColumn("plays", "Plays", "count"),
    TableColumn("last_played", "Last played", "time", hidden=True),
    TableColumn("skips", "Skips", "count", hidden=True),
)
"""Columns computed from the plays table, not stored on the track.

Plays counts listens that were not skips (`history.plays.is_skip`: completed or mostly
played); skips are counted apart, so two 8-second skips never read as two plays.
"""

_TABLE_ORDER = ("title", "artist", "album", "year", "genre", "duration", "plays", "last_played",
                "added", "composer", "skips")  # fmt: skip
_TABLE_HIDDEN = frozenset({"added", "composer"})


def _table_columns() -> tuple[TableColumn, ...]:
    by_key = {c.key: c for c in PLAY_COLUMNS}
    for f in TRACK_FIELDS:
        if f.label:
            by_key[f.view_key] = TableColumn(
                f.view_key, f.label, f.kind, f.view_key in _TABLE_HIDDEN
            )
    return tuple(by_key[k] for k in _TABLE_ORDER)


TABLE_COLUMNS: tuple[TableColumn, ...] = _table_columns()
"""The library table's columns in their default order, with the ones hidden by default."""


def create_tracks_sql(version: int = 1) -> str:
    """The `tracks` table as the first schema version made it."""
    cols = ",\n    ".join(f"{f.name} {f.sql}" for f in TRACK_FIELDS if f.since <= version)
    return f"CREATE TABLE tracks (\n    {cols}\n);"


def added_columns(version: int) -> str:
    """`ALTER TABLE` statements for the fields a later schema version added.

    A field read from the files also marks every file as changed (mtime -1), so the next scan
    reads the new tag from files it would otherwise skip as unchanged; ids, plays and
    embeddings stay.
    """
    added = [f for f in TRACK_FIELDS if f.since == version]
    sql = [f"ALTER TABLE tracks ADD COLUMN {f.name} {f.sql};" for f in added]
    if any(f.source in ("tag", "audio") for f in added):
        sql.append("UPDATE tracks SET mtime = -1;")
    return "\n".join(sql)
