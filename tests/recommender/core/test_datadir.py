"""Where files go: the XDG folders for a default install, one folder for --data-dir and
TONEARM_HOME, and the move of an older install's files that never loses settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recommender.cli.main import main
from recommender.core.datadir import (
    cache_dir,
    config_dir,
    move_to_platform_folders,
    resolve_data_dir,
)
from recommender.core.errors import TonearmError
from recommender.core.settings import Settings


@pytest.fixture
def xdg(tmp_path, monkeypatch) -> dict[str, Path]:
    """A home whose XDG folders are set, and no TONEARM_HOME."""
    places = {k: tmp_path / k for k in ("data", "config", "cache")}
    monkeypatch.delenv("TONEARM_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(places["data"]))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(places["config"]))
    monkeypatch.setenv("XDG_CACHE_HOME", str(places["cache"]))
    return {k: v / "tonearm" for k, v in places.items()}


def _old_install(data: Path) -> None:
    """What Tonearm before 0.x kept in its data folder."""
    (data / "cache").mkdir(parents=True)
    (data / "library.db").write_bytes(b"SQLite format 3\x00")
    (data / "settings.json").write_text('{"library_folders": ["/home/me/Music"], "volume": 0.3}')
    (data / "window.ini").write_text("[window]\ngeometry=@ByteArray(x)\n")
    (data / "library-columns.npz").write_bytes(b"PK columns")
    (data / "cache" / "mpris-cover-7.jpg").write_bytes(b"\xff\xd8 cover")


def test_a_default_install_follows_xdg(xdg, tmp_path):
    data = resolve_data_dir()
    assert data == xdg["data"]
    assert (config_dir(data), cache_dir(data)) == (xdg["config"], xdg["cache"])
    music = tmp_path / "Music"
    music.mkdir()
    assert main(["scan", str(music)]) == 0
    assert (xdg["data"] / "library.db").exists()
    saved = json.loads((xdg["config"] / "settings.json").read_text())
    assert saved["library_folders"] == [str(music)]
    assert not (xdg["data"] / "settings.json").exists()


def test_an_older_install_is_moved_once_and_keeps_its_settings(xdg):
    _old_install(xdg["data"])
    moved = move_to_platform_folders(xdg["data"])
    assert sorted(p.relative_to(p.parents[2]).as_posix() for p in moved) == [
        "cache/tonearm/library-columns.npz",
        "cache/tonearm/mpris-cover-7.jpg",
        "config/tonearm/settings.json",
        "config/tonearm/window.ini",
    ]
    assert sorted(p.name for p in xdg["data"].iterdir()) == ["library.db"]
    settings = Settings.load(xdg["data"])
    assert (settings.library_folders, settings.volume) == (["/home/me/Music"], 0.3)
    assert (xdg["config"] / "window.ini").read_text().startswith("[window]")
    assert (xdg["cache"] / "mpris-cover-7.jpg").read_bytes() == b"\xff\xd8 cover"
    assert move_to_platform_folders(xdg["data"]) == []


def test_settings_already_in_the_config_folder_win_and_the_old_file_stays(xdg):
    _old_install(xdg["data"])
    xdg["config"].mkdir(parents=True)
    (xdg["config"] / "settings.json").write_text('{"volume": 0.9}')
    move_to_platform_folders(xdg["data"])
    assert Settings.load(xdg["data"]).volume == 0.9
    assert json.loads((xdg["data"] / "settings.json").read_text())["volume"] == 0.3


def test_settings_that_cannot_be_moved_stop_with_a_message_and_stay(xdg, capsys):
    _old_install(xdg["data"])
    xdg["config"].parent.mkdir(parents=True)
    xdg["config"].write_text("a file where the config folder should be")
    with pytest.raises(TonearmError, match=r"cannot move .*settings\.json.*nothing was changed"):
        move_to_platform_folders(xdg["data"])
    assert (xdg["data"] / "settings.json").exists()
    assert main(["tracks"]) != 0  # the CLI says so too, instead of forgetting the folders
    assert "cannot move" in capsys.readouterr().err


def test_settings_not_moved_yet_are_still_read(xdg):
    _old_install(xdg["data"])
    assert Settings.load(xdg["data"]).library_folders == ["/home/me/Music"]


def test_a_chosen_folder_keeps_everything(xdg, tmp_path, monkeypatch):
    home = tmp_path / "portable"
    monkeypatch.setenv("TONEARM_HOME", str(home))
    data = resolve_data_dir()
    assert data == home and config_dir(data) == home and cache_dir(data) == home / "cache"
    _old_install(home)
    moved = move_to_platform_folders(home)
    assert moved == [home / "cache" / "library-columns.npz"]  # the one cache beside the db
    assert (home / "settings.json").exists() and (home / "window.ini").exists()
    assert (home / "cache" / "mpris-cover-7.jpg").exists()
    assert not xdg["config"].exists() and not xdg["cache"].exists()
    other = tmp_path / "other"
    assert config_dir(resolve_data_dir(other)) == other  # --data-dir


def test_a_move_to_another_file_system_or_out_of_a_read_only_folder_copies(xdg, monkeypatch):
    """os.replace cannot cross file systems (EXDEV); a read-only data folder refuses the
    unlink. Either way the settings arrive whole and are read from their new place."""
    import errno
    import os

    _old_install(xdg["data"])
    real_replace, real_unlink = os.replace, Path.unlink

    def replace(src, dst):
        if Path(src).parent == xdg["data"]:
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        real_replace(src, dst)

    def unlink(self, missing_ok=False):
        if self.parent == xdg["data"]:
            raise PermissionError(errno.EROFS, "Read-only file system")
        real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(Path, "unlink", unlink)
    moved = move_to_platform_folders(xdg["data"])
    assert xdg["config"] / "settings.json" in moved
    assert not list(xdg["config"].glob("*.part"))
    monkeypatch.setattr(os, "replace", real_replace)
    monkeypatch.setattr(Path, "unlink", real_unlink)
    (xdg["data"] / "settings.json").write_text('{"volume": 0.1}')  # the stale copy left behind
    assert Settings.load(xdg["data"]).volume == 0.3
