"""Faults the library database meets: a read-only folder or file, damaged pages, a full disk.

Reading works without write access; every other fault is one sentence and an exit code, and the
database is left as it was.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from recommender.cli.main import main
from recommender.core.errors import StoreError
from recommender.core.settings import SETTINGS_FILE, Settings
from recommender.library.store import DB_FILE, Store, open_store
from tests.library_factory import damage_middle_pages, insert_library

ROOT = Path(__file__).parents[3]
N_TRACKS = 40


def _library(data_dir: Path) -> Path:
    """A closed library of N_TRACKS tracks with plays, and settings naming a folder."""
    with open_store(data_dir) as store:
        insert_library(store, N_TRACKS, plays=30)
    Settings(library_folders=["/music"]).save(data_dir)
    return data_dir


def _read_only_mount(path: Path) -> str:
    """Shell commands that mount `path` over itself read-only, in a user and mount namespace."""
    return f'mount --bind "{path}" "{path}" && mount -o remount,bind,ro "{path}"'


def _read_only_mount_works(path: Path) -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", _read_only_mount(path)], capture_output=True, timeout=30
    )
    return probe.returncode == 0


@pytest.fixture(params=["chmod", "read-only mount"])
def read_only(request, tmp_path: Path):
    """Run the CLI on a data folder it may not write, by file modes or by a read-only mount
    (which refuses root as well: EROFS)."""
    if request.param == "chmod" and os.geteuid() == 0:
        pytest.skip("root writes through file modes; the read-only mount covers root")
    if request.param == "read-only mount" and not _read_only_mount_works(tmp_path):
        pytest.skip("no user namespaces here to mount a folder read-only")
    data_dir = _library(tmp_path / "data")
    if request.param == "chmod":
        for path in (data_dir / DB_FILE, data_dir / SETTINGS_FILE, data_dir):
            path.chmod(path.stat().st_mode & ~0o222)
        yield lambda *args: _tonearm(data_dir, args)
        data_dir.chmod(0o755)
        return
    wrap = ["unshare", "-rm", "sh", "-c", _read_only_mount(data_dir) + ' && exec "$@"', "sh"]
    yield lambda *args: _tonearm(data_dir, args, wrap=wrap)


def _tonearm(data_dir: Path, args, wrap: list[str] | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "QT_QPA_PLATFORM")}
    env["PYTHONPATH"] = str(ROOT)
    command = [sys.executable, "-m", "recommender", "--data-dir", str(data_dir), *args]
    return subprocess.run(
        [*(wrap or []), *command], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120
    )


def _one_line(out: subprocess.CompletedProcess) -> str:
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in out.stderr, out.stderr
    return lines[0]


def test_read_only_data_folder_still_answers_reading_commands(read_only):
    library = read_only("library", "--json")
    assert library.returncode == 0, library.stderr
    assert json.loads(library.stdout)["tracks"] == N_TRACKS
    assert json.loads(library.stdout)["folders"] == ["/music"]
    tracks = read_only("tracks", "--json")
    assert tracks.returncode == 0, tracks.stderr
    assert len(json.loads(tracks.stdout)) == N_TRACKS
    history = read_only("history")
    assert history.returncode == 0 and "30 plays" in history.stdout, history.stderr
    recommend = read_only("recommend")
    assert recommend.returncode == 0, recommend.stderr


def test_read_only_data_folder_refuses_writes_in_one_line(read_only, tmp_path: Path):
    music = tmp_path / "Music"
    music.mkdir()
    (music / "new.flac").write_bytes(b"fLaC")
    scan = read_only("scan", str(music))
    assert scan.returncode == StoreError.exit_code
    assert "read-only" in _one_line(scan)
    enable = read_only("remote", "enable", "--endpoint", "http://127.0.0.1:9")
    assert enable.returncode == 1
    assert "cannot save the settings" in _one_line(enable)
    assert read_only("remote", "status", "--json").returncode == 0  # still off, still readable


def test_damaged_pages_in_the_middle_are_one_line_and_the_file_is_kept(tmp_path, capsys):
    data_dir = tmp_path / "data"
    with open_store(data_dir) as store:
        insert_library(store, 600, plays=200)
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    damage_middle_pages(data_dir / DB_FILE)
    before = (data_dir / DB_FILE).read_bytes()
    for command in (["tracks"], ["library"], ["history"]):
        assert main(["--data-dir", str(data_dir), *command]) == StoreError.exit_code
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "is damaged" in err, err
    assert (data_dir / DB_FILE).read_bytes() == before


def test_full_disk_names_the_full_disk_not_the_rollback(data_dir: Path):
    """SQLite rolls back by itself on SQLITE_FULL; a second ROLLBACK used to hide the cause."""
    with open_store(data_dir) as store:
        insert_library(store, 10)
        pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
        store.conn.execute(f"PRAGMA max_page_count = {pages + 2}")
        with pytest.raises(StoreError, match="no space left") as caught:
            insert_library(store, 2000, seed=8)
        assert "rollback" not in str(caught.value)
        assert not store.conn.in_transaction
        assert store.conn.execute("SELECT COUNT(*) FROM tracks").fetchone()[0] == 10


def _tmpfs_works() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"],
        capture_output=True,
        timeout=30,
    )
    return probe.returncode == 0


@pytest.mark.skipif(not _tmpfs_works(), reason="no user namespaces here to mount a small tmpfs")
def test_scan_onto_a_full_disk_is_one_line(tmp_path: Path):
    """A real full disk: a 400 kB tmpfs holding the data folder, and a scan of 3,000 files."""
    music = tmp_path / "Music"
    music.mkdir()
    for i in range(3000):
        (music / f"{i:04d} a track with a name long enough to take space.wav").write_bytes(b"")
    disk = tmp_path / "disk"
    disk.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "QT_QPA_PLATFORM")}
    env["PYTHONPATH"] = str(ROOT)
    script = (
        f'mount -t tmpfs -o size=400k tmpfs "{disk}" && exec "$@" --data-dir "{disk}/data" '
        f'scan "{music}"'
    )
    out = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script, "sh", sys.executable, "-m", "recommender"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )
    assert out.returncode == StoreError.exit_code
    assert "no space left" in _one_line(out)


def test_a_read_only_store_reads_and_refuses_writes_with_the_reason(tmp_path: Path):
    """The read-only store itself, in-process (so it runs as root too): reads work, a
    transaction is refused with the reason, and SQLite refuses any other write."""
    data_dir = _library(tmp_path / "data")
    with Store(data_dir / DB_FILE, read_only="the data folder X is read-only") as store:
        assert store.conn.execute("SELECT COUNT(*) FROM tracks").fetchone()[0] == N_TRACKS
        with pytest.raises(StoreError, match="X is read-only"), store.transaction():
            pass
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            store.conn.execute("DELETE FROM plays")
    with open_store(data_dir) as store:
        assert store.conn.execute("SELECT COUNT(*) FROM plays").fetchone()[0] == 30
