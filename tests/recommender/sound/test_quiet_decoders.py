"""Analysing MP3s keeps stderr for Tonearm's own messages: libmpg123's notes stay off it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from recommender.sound import frontend
from tests.audio_factory import write_audio

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("workers", ["0", "2"])
def test_analysing_mp3s_prints_no_libmpg123_lines(tmp_path: Path, workers: str):
    music = tmp_path / "Music"
    for i in range(18):  # more than one chunk, so the worker processes take part with "2"
        write_audio(music / f"{i:02d}.mp3", seconds=8, freq=220 + 35 * i, channels=2)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "QT_QPA_PLATFORM")}
    env["PYTHONPATH"] = str(ROOT)

    def tonearm(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "recommender", "--data-dir", str(tmp_path / "data")]
        return subprocess.run(
            [*command, *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300
        )

    assert tonearm("scan", str(music)).returncode == 0
    out = tonearm("analyze", "--workers", workers)
    assert out.returncode == 0, out.stderr
    assert "embedded 18, failed 0" in out.stdout
    assert "mpg123" not in out.stderr, out.stderr


def test_other_writes_to_stderr_meanwhile_still_reach_it(tmp_path: Path, capfd):
    song = write_audio(tmp_path / "a.mp3", seconds=2)
    with frontend._quiet_mpg123(song):
        os.write(2, b"[src/libmpg123/layer3.c:INT123_do_layer3():1774] error: part2_3_length\n")
        os.write(2, b"tonearm: a message of our own\n")
    assert capfd.readouterr().err == "tonearm: a message of our own\n"
