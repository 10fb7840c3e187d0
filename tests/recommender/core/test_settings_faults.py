"""settings.json that cannot be read is an error that changes nothing; only a bad parse is set
aside."""

from __future__ import annotations

import json
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
