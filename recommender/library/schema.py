"""The library schema as a list of forward migrations; `PRAGMA user_version` says how far a file is.

Each migration is frozen once released: change the schema only by appending a new one. A new
track field is declared in `fields.py` with `since=N` and migration N includes `added_columns(N)`.
"""

from __future__ import annotations

from recommender.library.fields import added_columns, create_tracks_sql

KEYS_FROM_NAMES_SQL = """
    UPDATE tracks SET artist_key = tonearm_artist_key(artist, albumartist),
        title_key = tonearm_title_key(title),
        albumartist_key = tonearm_artist_key(albumartist, artist);
"""
"""Recompute every track's stored name keys (`names.name_keys`, through the SQL functions the
store registers); a later migration repeats it when the normalisation changes."""

MIGRATIONS: tuple[str, ...] = (
    # 1: the first release: tracks (its columns from `fields.Track`), plays, playlists,
    # embeddings, scan errors.
    create_tracks_sql(1)
    + """
    CREATE INDEX tracks_artist ON tracks(artist COLLATE NOCASE);
    CREATE INDEX tracks_album ON tracks(album COLLATE NOCASE);
    CREATE INDEX tracks_size ON tracks(size);
    CREATE INDEX tracks_mbid ON tracks(mb_recording_id);
    CREATE TABLE plays (
        id INTEGER PRIMARY KEY,
        track_id INTEGER NOT NULL REFERENCES tracks(id),
        started_at REAL NOT NULL,
        seconds_played REAL NOT NULL DEFAULT 0,
        completed INTEGER NOT NULL DEFAULT 0,
        skipped INTEGER NOT NULL DEFAULT 0,
        context TEXT NOT NULL DEFAULT 'library'
    );
    CREATE INDEX plays_track ON plays(track_id);
    CREATE INDEX plays_started ON plays(started_at);
    CREATE TABLE playlists (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE TABLE playlist_items (
        playlist_id INTEGER NOT NULL REFERENCES playlists(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        track_id INTEGER NOT NULL REFERENCES tracks(id),
        PRIMARY KEY (playlist_id, position)
    );
    CREATE TABLE embeddings (
        track_id INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
        model_version TEXT NOT NULL,
        dim INTEGER NOT NULL,
        vector BLOB NOT NULL,
        created_at REAL NOT NULL,
        PRIMARY KEY (track_id, model_version)
    );
    CREATE TABLE scan_errors (
        path TEXT PRIMARY KEY,
        size INTEGER,
        mtime REAL,
        reason TEXT NOT NULL,
        at REAL NOT NULL
    );
    """,
    # 2: smart playlists, analysis errors, unmatched imported listens, dismissed tracks, the queue
    # and small app state.
    """
    ALTER TABLE playlists ADD COLUMN query TEXT;
    ALTER TABLE playlists ADD COLUMN sort TEXT;
    ALTER TABLE playlists ADD COLUMN limit_n INTEGER;
    CREATE TABLE analysis_errors (
        track_id INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
        model_version TEXT NOT NULL,
        reason TEXT NOT NULL,
        at REAL NOT NULL,
        PRIMARY KEY (track_id, model_version)
    );
    CREATE TABLE unmatched_listens (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        listened_at REAL NOT NULL,
        artist TEXT,
        title TEXT,
        album TEXT,
        mb_recording_id TEXT,
        seconds_played REAL,
        UNIQUE (source, listened_at, artist, title)
    );
    CREATE TABLE dismissed (
        track_id INTEGER PRIMARY KEY REFERENCES tracks(id),
        at REAL NOT NULL
    );
    CREATE TABLE queue_items (
        position INTEGER PRIMARY KEY,
        track_id INTEGER NOT NULL REFERENCES tracks(id)
    );
    CREATE TABLE app_state (
        key TEXT PRIMARY KEY,
        value TEXT
    );
    CREATE UNIQUE INDEX plays_unique_import ON plays(track_id, started_at, context);
    """,
    # 3: the composer tag.
    added_columns(3),
    # 4: a waiting imported listen keeps the track's length and whether it was a skip apart
    # from the seconds played (which held the length until now).
    """
    ALTER TABLE unmatched_listens ADD COLUMN duration REAL;
    ALTER TABLE unmatched_listens ADD COLUMN skipped INTEGER;
    UPDATE unmatched_listens SET duration = seconds_played, seconds_played = NULL;
    """,
    # 5: each track stores its normalised names (`names.name_keys`), which every model load
    # recomputed. NULL means not computed (a row some other program wrote): readers then
    # compute it. Changing a name by plain SQL without its keys sets them NULL, never stale.
    added_columns(5)
    + KEYS_FROM_NAMES_SQL
    + """
    CREATE TRIGGER tracks_names_without_keys AFTER UPDATE OF artist, albumartist, title ON tracks
    WHEN (NEW.artist IS NOT OLD.artist OR NEW.albumartist IS NOT OLD.albumartist
          OR NEW.title IS NOT OLD.title)
        AND NEW.artist_key IS OLD.artist_key AND NEW.title_key IS OLD.title_key
        AND NEW.albumartist_key IS OLD.albumartist_key
    BEGIN
        UPDATE tracks SET artist_key = NULL, title_key = NULL, albumartist_key = NULL
        WHERE id = NEW.id;
    END;
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)
