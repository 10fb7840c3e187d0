"""Track fields are declared once: the schema, the scanner, the query language, the in-memory
columns and the table all follow the declaration."""

from __future__ import annotations

import sqlite3

from recommender.library.fields import (
    PLAY_COLUMNS,
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
    keys = {f.view_key for f in TRACK_FIELDS} | {c.key for c in PLAY_COLUMNS}
    assert [c.key for c in TABLE_COLUMNS if c.key not in keys] == []
    assert QUERY_FIELDS["artist"] == ("artist", "albumartist")


def test_the_composer_field_is_read_searched_and_kept_in_memory(store, tmp_path):
    """The field added through the declaration alone (plus migration 3) works end to end."""
    from recommender.library.columns import LibraryFilter, load_library_columns
    from recommender.library.scan import scan_folders
    from recommender.library.tracks import find_tracks
    from tests.audio_factory import make_track

    make_track(tmp_path, "a/1.flac", title="Prelude", artist="Gould", composer="J. S. Bach")
    make_track(tmp_path, "a/2.mp3", title="Fugue", artist="Gould", composer="Bach")
    make_track(tmp_path, "a/3.ogg", title="Other", artist="Gould", composer="Händel")
    scan_folders(store, [str(tmp_path)], workers=1)
    assert {t.title for t in find_tracks(store, "composer:bach")} == {"Prelude", "Fugue"}
    assert {t.composer for t in find_tracks(store, "composer:handel")} == {"Händel"}
    columns = load_library_columns(store, use_cache=False)
    mask = LibraryFilter(columns).mask("composer:BACH")
    assert {columns.title[i] for i in mask.nonzero()[0]} == {"Prelude", "Fugue"}
    assert next(c for c in TABLE_COLUMNS if c.key == "composer").hidden


def test_an_upgraded_library_reads_the_new_tag_on_its_next_scan_and_keeps_plays(data_dir, tmp_path):
    from recommender.history.plays import record_play
    from recommender.library.scan import scan_folders
    from recommender.library.store import DB_FILE, open_store
    from recommender.library.tracks import find_tracks
    from tests.audio_factory import make_track

    music = tmp_path / "music"
    make_track(music, "1.flac", title="Prelude", artist="Gould", composer="Bach")
    with open_store(data_dir) as store:
        scan_folders(store, [str(music)], workers=1)
        (track,) = find_tracks(store)
        record_play(store, track.id, 200.0)
        # What a library written before the composer field looks like.
        store.conn.execute("UPDATE tracks SET composer = NULL")
    db = sqlite3.connect(data_dir / DB_FILE)
    db.execute("ALTER TABLE tracks DROP COLUMN composer")
    db.execute("ALTER TABLE unmatched_listens DROP COLUMN duration")  # schema 4's
    db.execute("ALTER TABLE unmatched_listens DROP COLUMN skipped")
    db.execute("DROP TRIGGER tracks_names_without_keys")  # schema 5's
    for column in ("artist_key", "title_key", "albumartist_key"):
        db.execute(f"ALTER TABLE tracks DROP COLUMN {column}")
    db.execute("PRAGMA user_version = 2")
    db.commit()
    db.close()
    with open_store(data_dir) as store:
        summary = scan_folders(store, [str(music)], workers=1)
        assert summary.updated == 1
        (again,) = find_tracks(store, "composer:bach")
        assert again.id == track.id
        (plays,) = store.conn.execute("SELECT count(*) FROM plays").fetchone()
        assert plays == 1
