"""settings.json that cannot be read is an error that changes nothing; only a bad parse is set
aside."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from recommender.core.errors import TonearmError
from recommender.core.settings import SETTINGS_FILE, Settings


def test_unreadable_settings_are_an_error_and_the_file_is_kept(tmp_path: Path, monkeypatch):
    path = tmp_path / SETTINGS_FILE
    path.write_text(json.dumps({"library_folders": ["/music"]}))

    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_text", refuse)  # root ignores chmod 000
    with pytest.raises(TonearmError, match=r"cannot read the settings file .*Permission denied"):
        Settings.load(tmp_path)
    monkeypatch.undo()
    assert not (tmp_path / "settings.json.damaged").exists()
    assert Settings.load(tmp_path).library_folders == ["/music"]


def test_settings_that_do_not_parse_are_set_aside(tmp_path: Path):
    (tmp_path / SETTINGS_FILE).write_text("{not json")
    assert Settings.load(tmp_path).library_folders == []
    assert (tmp_path / "settings.json.damaged").read_text() == "{not json"


def _raise(code: int):
    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    return fail


@pytest.mark.parametrize(
    ("where", "code"),
    [("os.fsync", errno.ENOSPC), ("os.replace", errno.ENOSPC), ("tempfile.mkstemp", errno.EROFS)],
)
def test_settings_that_cannot_be_written_keep_the_old_file(
    tmp_path: Path, monkeypatch, where, code
):
    Settings(library_folders=["/music"], theme="dark").save(tmp_path)
    before = (tmp_path / SETTINGS_FILE).read_bytes()
    monkeypatch.setattr(f"recommender.core.settings.{where}", _raise(code))
    with pytest.raises(TonearmError, match=rf"cannot save the settings .*{os.strerror(code)}"):
        Settings(library_folders=["/elsewhere"]).save(tmp_path)
    assert (tmp_path / SETTINGS_FILE).read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [SETTINGS_FILE]  # no temp file left


def test_remote_enable_on_a_full_disk_is_one_line(tmp_path: Path, monkeypatch, capsys):
    from recommender.cli.main import main

    Settings(library_folders=["/music"]).save(tmp_path)
    before = (tmp_path / SETTINGS_FILE).read_bytes()
    monkeypatch.setattr("recommender.core.settings.os.fsync", _raise(errno.ENOSPC))
    args = ["--data-dir", str(tmp_path), "remote", "enable", "--endpoint", "http://127.0.0.1:9"]
    assert main(args) == TonearmError.exit_code
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "No space left on device" in err, err
    assert (tmp_path / SETTINGS_FILE).read_bytes() == before
