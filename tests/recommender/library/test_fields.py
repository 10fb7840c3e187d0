"""Track fields are declared once: the schema, the scanner, the query language, the in-memory
columns and the table all follow the declaration."""

from __future__ import annotations

import sqlite3

from recommender.library.fields import (
    QUERY_FIELDS,
    SCANNED_COLUMNS,
    TABLE_COLUMNS,
    TRACK_COLUMNS,
    TRACK_FIELDS,
    create_tracks_sql,
)
from recommender.library.schema import MIGRATIONS


def test_a_new_database_has_one_column_per_declared_field(store):
    columns = [r[1] for r in store.conn.execute("PRAGMA table_info(tracks)")]
    assert columns == list(TRACK_COLUMNS)


def test_the_first_migration_is_the_declared_table():
    db = sqlite3.connect(":memory:")
    db.executescript(MIGRATIONS[0])
    declared = sqlite3.connect(":memory:")
    declared.executescript(create_tracks_sql(1))
    assert (
        db.execute("PRAGMA table_info(tracks)").fetchall()
        == declared.execute("PRAGMA table_info(tracks)").fetchall()
    )


def test_the_scanner_reads_every_tag_field_from_a_file(tmp_path):
    from recommender.library.tags import read_tags
    from tests.audio_factory import make_track

    path = make_track(tmp_path, "a.flac", artist="A", title="T", album="B", genre="Jazz")
    row = read_tags(str(path))
    assert set(row) == set(SCANNED_COLUMNS)
    assert (row["artist"], row["title"], row["album"], row["genre"]) == ("A", "T", "B", "Jazz")


def test_every_query_keyword_and_table_column_names_a_declared_field():
    names = {f.name for f in TRACK_FIELDS}
    assert {c for cols in QUERY_FIELDS.values() for c in cols} <= names
    keys = {f.view_key for f in TRACK_FIELDS} | {"plays", "last_played"}
    assert [c.key for c in TABLE_COLUMNS if c.key not in keys] == []
    assert QUERY_FIELDS["artist"] == ("artist", "albumartist")
