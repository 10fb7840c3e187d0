"""The store keeps the user's data: migrations, damaged or locked files, transactions."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from recommender.core.errors import StoreError
from recommender.core.settings import Settings
from recommender.library.schema import MIGRATIONS, SCHEMA_VERSION
from recommender.library.store import DB_FILE, open_store


def _make_v1_database(path: Path) -> None:
    """A library written by the first release: schema 1 with plays and a playlist."""
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0])
    conn.execute("PRAGMA user_version = 1")
    for i in range(3):
        conn.execute(
            "INSERT INTO tracks(path, size, mtime, title, artist, added_at, updated_at) "
            "VALUES (?, 1, 1, ?, 'A', 0, 0)",
            (f"/music/{i}.flac", f"T{i}"),
        )
    conn.executemany(
        "INSERT INTO plays(track_id, started_at, seconds_played, completed, skipped, context) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [(1, 100.0, 200.0, 1, 0, "library"), (2, 400.0, 5.0, 0, 1, "radio")],
    )
    conn.execute("INSERT INTO playlists(id, name, created_at, updated_at) VALUES (7, 'Mix', 0, 0)")
    conn.executemany(
        "INSERT INTO playlist_items(playlist_id, position, track_id) VALUES (7, ?, ?)",
        [(0, 3), (1, 1)],
    )
    conn.commit()
    conn.close()


def test_old_database_is_migrated_keeping_every_play_and_playlist(data_dir: Path):
    _make_v1_database(data_dir / DB_FILE)
    with open_store(data_dir) as store:
        assert store.version == SCHEMA_VERSION
        plays = store.conn.execute(
            "SELECT track_id, seconds_played, skipped, context FROM plays ORDER BY id"
        ).fetchall()
        assert plays == [(1, 200.0, 0, "library"), (2, 5.0, 1, "radio")]
        items = store.conn.execute(
            "SELECT track_id FROM playlist_items WHERE playlist_id = 7 ORDER BY position"
        ).fetchall()
        assert items == [(3,), (1,)]
        tables = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master")}
        assert "dismissed" in tables
    backup = data_dir / f"{DB_FILE}.before-v{SCHEMA_VERSION}"
    assert backup.exists(), "a copy is kept before migrating"


def test_database_from_a_newer_tonearm_is_refused_untouched(data_dir: Path):
    path = data_dir / DB_FILE
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="newer Tonearm"):
        open_store(data_dir)
    assert path.read_bytes() == before


def test_damaged_database_gives_a_clear_message_and_is_not_overwritten(data_dir: Path):
    path = data_dir / DB_FILE
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError, match="damaged"):
        open_store(data_dir)
    assert path.read_bytes() == b"this is not sqlite at all" * 100


def test_locked_database_gives_a_clear_message(data_dir: Path, monkeypatch):
    monkeypatch.setattr("recommender.library.store.BUSY_TIMEOUT_MS", 200)
    with open_store(data_dir) as first:
        first.conn.execute("BEGIN EXCLUSIVE")
        with (
            open_store(data_dir) as second,
            pytest.raises(StoreError, match="locked"),
            second.transaction() as conn,
        ):
            conn.execute("INSERT INTO app_state VALUES ('k', 'v')")
        first.conn.execute("ROLLBACK")


def test_failed_transaction_leaves_nothing_behind(store):
    with pytest.raises(RuntimeError), store.transaction() as conn:
        conn.execute("INSERT INTO app_state VALUES ('a', '1')")
        raise RuntimeError("boom")
    assert store.get_state("a") is None


def test_wal_and_foreign_keys_are_on(store):
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_settings_round_trip_and_keep_unknown_keys(data_dir: Path):
    (data_dir / "settings.json").write_text('{"library_folders": ["/m"], "future_key": 3}')
    settings = Settings.load(data_dir)
    assert settings.library_folders == ["/m"]
    settings.volume = 0.5
    settings.save(data_dir)
    again = Settings.load(data_dir)
    assert again.volume == 0.5 and again.extra == {"future_key": 3}


def test_damaged_settings_are_set_aside_not_lost(data_dir: Path):
    (data_dir / "settings.json").write_text("{not json")
    assert Settings.load(data_dir) == Settings()
    assert (data_dir / "settings.json.damaged").read_text() == "{not json"


def test_killed_scan_leaves_a_consistent_database_that_the_next_scan_completes(
    data_dir: Path, music_dir: Path
):
    from tests.audio_factory import make_track

    for i in range(3000):
        if i < 3:
            make_track(music_dir, f"d{i % 10}/t{i:04d}.wav", title=f"T{i}")
        else:  # copies are much faster than encoding and scan just the same
            src = music_dir / "d0" / "t0000.wav"
            dst = music_dir / f"d{i % 10}" / f"t{i:04d}.wav"
            dst.parent.mkdir(exist_ok=True)
            dst.write_bytes(src.read_bytes())
    script = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        from recommender.library.store import open_store
        from recommender.library.scan import scan_folders
        store = open_store(Path({str(data_dir)!r}))
        def progress(p):
            if p.phase == "reading tags" and p.done >= 1000:
                os.kill(os.getpid(), signal.SIGKILL)
        scan_folders(store, [{str(music_dir)!r}], progress=progress, workers=1)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).parents[3])
    assert proc.returncode == -9
    with open_store(data_dir) as store:
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        written = store.conn.execute("SELECT count(*) FROM tracks").fetchone()[0]
        assert 1000 <= written < 3000
        from recommender.library.scan import scan_folders

        summary = scan_folders(store, [str(music_dir)], workers=1)
        assert summary.added == 3000 - written
        assert summary.unchanged == written
