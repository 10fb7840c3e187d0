"""The `tonearm` command as a user runs it: in a subprocess, without a display."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from recommender import __version__
from tests.audio_factory import make_bad_files, make_track

ROOT = Path(__file__).parents[3]


def tonearm(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "QT_QPA_PLATFORM")}
    full_env["PYTHONPATH"] = str(ROOT)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "player", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=ROOT,
        timeout=120,
    )


def test_help_and_version_work_without_a_display():
    out = tonearm("--help")
    assert out.returncode == 0
    assert "scan" in out.stdout and "tracks" in out.stdout
    version = tonearm("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"tonearm {__version__}"


def test_scan_then_list_tracks_as_json(tmp_path: Path):
    music = tmp_path / "Music"
    make_track(music, "Nina/Album/01.flac", title="Sinnerman", artist="Nina Simone", album="Pastel")
    make_track(music, "Nina/Album/02.ogg", title="Be My Husband", artist="Nina Simone")
    make_bad_files(music / "junk")
    data = tmp_path / "data"
    scan = tonearm("scan", str(music), "--json", "--data-dir", str(data))
    assert scan.returncode == 0, scan.stderr
    summary = json.loads(scan.stdout)
    assert (summary["added"], summary["errors"]) == (2, 5)
    assert {Path(e["path"]).name for e in summary["error_list"]} >= {"empty.mp3", "notes.flac"}
    listing = tonearm("tracks", "sinner", "--json", "--data-dir", str(data))
    (track,) = json.loads(listing.stdout)
    for key in ("id", "path", "title", "artist", "album", "duration"):
        assert key in track
    assert track["path"] == str(music / "Nina/Album/01.flac")
    assert track["artist"] == "Nina Simone"


def test_scanned_folders_become_the_library_folders_and_tonearm_home_is_honoured(tmp_path):
    music = tmp_path / "Music"
    make_track(music, "a.flac", title="A")
    env = {"TONEARM_HOME": str(tmp_path / "home")}
    assert tonearm("scan", str(music), env=env).returncode == 0
    lib = tonearm("library", "--json", env=env)
    stats = json.loads(lib.stdout)
    assert stats["folders"] == [str(music)]
    assert stats["tracks"] == 1
    rescan = tonearm("scan", "--json", env=env)  # no folder: the configured ones
    assert json.loads(rescan.stdout)["unchanged"] == 1


def test_errors_are_one_clear_line_on_stderr_never_a_traceback(tmp_path: Path):
    data = str(tmp_path / "data")
    missing = tonearm("scan", str(tmp_path / "nope"), "--data-dir", data)
    assert missing.returncode == 2
    assert "folder not found" in missing.stderr and "Traceback" not in missing.stderr
    bad_query = tonearm("tracks", "year:soon", "--data-dir", data)
    assert bad_query.returncode == 2 and "bad year" in bad_query.stderr
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "library.db").write_bytes(b"garbage" * 500)
    damaged = tonearm("library", "--data-dir", str(tmp_path / "broken"))
    assert damaged.returncode == 3
    assert "damaged" in damaged.stderr and "Traceback" not in damaged.stderr
