"""Each track stores its normalised names (schema 5): written by every writer, filled in for
older libraries, never stale, and computed by readers where a row has none."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from recommender.discovery.taste_model import load_taste_model
from recommender.library.names import name_keys, normalise_artist
from recommender.library.scan import scan_folders
from recommender.library.schema import MIGRATIONS
from recommender.library.store import DB_FILE, Store, open_store
from recommender.library.tracks import fill_missing_artists
from tests.audio_factory import make_track
from tests.library_factory import insert_file

NAMES = [
    # (artist, album artist, title)
    ("The Beatles feat. Billy Preston", None, "Let It Be (Remastered 2009)"),
    ("Beatles", "The Beatles", "Let It Be - Live"),
    (None, "Beyoncé", "Halo"),
    ("Beyonce & Jay-Z", None, None),
    (None, None, "Untitled"),
]


def _stored_keys(store: Store) -> dict[int, tuple]:
    rows = store.conn.execute("SELECT id, artist_key, title_key, albumartist_key FROM tracks")
    return {r[0]: tuple(r[1:]) for r in rows}


def _make_v4_database(path: Path) -> None:
    """A library written before the keys: schema 4, named tracks, plays."""
    conn = sqlite3.connect(path)
    for script in MIGRATIONS[:4]:
        conn.executescript(script)
    conn.execute("PRAGMA user_version = 4")
    for i, (artist, albumartist, title) in enumerate(NAMES, start=1):
        conn.execute(
            "INSERT INTO tracks(id, path, size, mtime, title, artist, albumartist, added_at, "
            "updated_at) VALUES (?, ?, 1, 1, ?, ?, ?, 0, 0)",
            (i, f"/music/{i}.flac", title, artist, albumartist),
        )
        conn.execute(
            "INSERT INTO plays(track_id, started_at, seconds_played, completed, skipped) "
            "VALUES (?, ?, 200, 1, 0)",
            (i, 100.0 * i),
        )
    conn.commit()
    conn.close()


def test_a_schema_4_library_gets_every_key_and_keeps_its_plays(data_dir: Path):
    _make_v4_database(data_dir / DB_FILE)
    with open_store(data_dir) as store:
        assert store.version == len(MIGRATIONS)
        keys = _stored_keys(store)
        assert keys == {i: name_keys(*names) for i, names in enumerate(NAMES, start=1)}
        assert keys[1][:2] == keys[2][:2] == ("beatles", "let it be")
        assert keys[3] == ("beyonce", "halo", "beyonce")
        assert store.conn.execute("SELECT count(*) FROM plays").fetchone()[0] == len(NAMES)
    assert (data_dir / f"{DB_FILE}.before-v{len(MIGRATIONS)}").exists()


def test_a_scan_writes_the_keys_of_what_it_read(store, music_dir: Path):
    make_track(music_dir, "a.ogg", title="Let It Be (Live)", artist="The Beatles")
    scan_folders(store, [str(music_dir)], workers=1)
    ((tid, artist, albumartist, title),) = store.conn.execute(
        "SELECT id, artist, albumartist, title FROM tracks"
    )
    assert _stored_keys(store)[tid] == name_keys(artist, albumartist, title) == (
        "beatles", "let it be", "beatles",
    )  # fmt: skip


def test_a_name_changed_without_its_keys_never_leaves_them_stale(store):
    tid = insert_file(store, "/music/a.ogg", artist="Blur", title="Song 2")
    store.conn.execute(
        f"UPDATE tracks SET artist_key = 'blur', title_key = 'song 2' WHERE id = {tid}"
    )
    store.conn.execute(f"UPDATE tracks SET title = 'Parklife' WHERE id = {tid}")  # keys untouched
    assert _stored_keys(store)[tid] == (None, None, None)
    model = load_taste_model(store)
    assert model.recording_keys == ["blur\x1fparklife"]
    store.conn.execute(f"UPDATE tracks SET title = 'Song 2', title_key = 'song 2' WHERE id = {tid}")
    assert _stored_keys(store)[tid][1] == "song 2", "a write with its keys keeps them"


def test_an_artist_filled_from_the_folder_gets_its_keys(store):
    insert_file(store, "/music/Album/1.ogg", artist="The Kinks", title="Lola")
    tid = insert_file(store, "/music/Album/2.ogg", artist=None, albumartist="The Kinks", title="X")
    assert fill_missing_artists(store) == 1
    assert _stored_keys(store)[tid] == ("kinks", "x", "kinks")


def test_a_read_only_library_reads_keys_it_has_and_computes_those_it_lacks(data_dir: Path):
    with open_store(data_dir) as store:
        for i, (artist, albumartist, title) in enumerate(NAMES):
            insert_file(store, f"/music/{i}.ogg", artist=artist, albumartist=albumartist,
                        title=title)  # fmt: skip
        # Half the rows as a scan writes them, half as another program would (no keys).
        store.conn.execute(
            "UPDATE tracks SET artist_key = 'stored ' || id, title_key = 'x', "
            "albumartist_key = '' WHERE id % 2 = 0"
        )
    with Store(data_dir / DB_FILE, read_only="the data folder X is read-only") as store:
        model = load_taste_model(store)
        ids = model.track_ids.tolist()
    for row, tid in enumerate(ids):
        artist, albumartist, title = NAMES[tid - 1]
        if tid % 2 == 0:  # read, not recomputed
            assert model.artist_keys[row] == f"stored {tid}"
            assert model.recording_keys[row] == f"stored {tid}\x1fx"
        else:
            assert model.artist_keys[row] == normalise_artist(artist or albumartist)
