"""What the walk and the tag reader meet: very deep folders, broken links, unreadable and cut
files; each reported with its own reason."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from recommender.library import tags
from recommender.library.scan import scan_folders
from recommender.library.store import open_store
from recommender.library.tags import UnreadableFile, read_tags
from recommender.library.walk import WalkProblem, walk_audio_files

RATE = 22050


def _tone(path: Path, seconds: float = 3.0, rate: int = RATE, **kwargs) -> Path:
    t = np.arange(int(seconds * rate)) / rate
    sf.write(str(path), (0.3 * np.sin(2 * np.pi * 330 * t)).astype("float32"), rate, **kwargs)
    return path


def test_a_folder_990_levels_deep_is_walked_and_scanned_without_recursion_error(tmp_path):
    music = tmp_path / "music"
    _tone(music.mkdir() or music / "top.flac")
    deep = os.fsencode(music)
    fd = os.open(deep, os.O_RDONLY)
    try:  # relative mkdir: the absolute path would pass PATH_MAX before 990 levels
        for _ in range(990):
            os.mkdir("d", dir_fd=fd)
            inner = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        with open(os.open("bottom.flac", os.O_WRONLY | os.O_CREAT, dir_fd=fd), "wb") as fh:
            sf.write(fh, np.zeros(RATE, np.float32) + 0.1, RATE, format="FLAC")
    finally:
        os.close(fd)
    try:
        names = [Path(f.path).name for f in walk_audio_files([str(music)])]
        assert names == ["top.flac", "bottom.flac"]
        store = open_store(tmp_path / "data")
        summary = scan_folders(store, [str(music)])
        assert summary.added == 2
        assert scan_folders(store, [str(music)]).unchanged == 2  # and it can be rescanned
        store.close()
    finally:
        _remove_chain(deep, levels=990)  # shutil.rmtree (pytest's cleanup) recurses too


def _remove_chain(top: bytes, levels: int) -> None:
    """Remove a chain of `levels` folders named d (and the file at its bottom), iteratively."""
    fds = [os.open(top, os.O_RDONLY)]
    for _ in range(levels):
        fds.append(os.open("d", os.O_RDONLY, dir_fd=fds[-1]))
    os.unlink("bottom.flac", dir_fd=fds[-1])
    os.close(fds.pop())
    while len(fds) > 0:
        os.rmdir("d", dir_fd=fds[-1])
        os.close(fds.pop())


def test_broken_symlink_is_reported_as_broken_link(tmp_path):
    music = tmp_path / "music"
    music.mkdir()
    (music / "gone.mp3").symlink_to(tmp_path / "elsewhere" / "gone.mp3")
    problems: list[WalkProblem] = []
    assert list(walk_audio_files([str(music)], problems)) == []
    assert [p.reason for p in problems] == [
        f"broken symbolic link: its target {tmp_path / 'elsewhere' / 'gone.mp3'} does not exist"
    ]
    store = open_store(tmp_path / "data")
    summary = scan_folders(store, [str(music)])
    assert next(e.reason for e in summary.new_errors).startswith("broken symbolic link")
    store.close()


def test_unreadable_file_is_reported_as_permission_denied(tmp_path, monkeypatch):
    path = _tone(tmp_path / "locked.ogg")

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tags, "open", refuse, raising=False)  # root ignores chmod 000
    with pytest.raises(UnreadableFile, match=r"^permission denied$"):
        read_tags(str(path))


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_on_disk_is_reported_as_permission_denied(tmp_path):
    path = _tone(tmp_path / "locked.ogg")
    path.chmod(0)
    with pytest.raises(UnreadableFile, match=r"^permission denied$"):
        read_tags(str(path))


@pytest.mark.parametrize("suffix, kwargs", [(".ogg", {}), (".opus", {"subtype": "OPUS"})])
@pytest.mark.parametrize("cut", ["mid-page", "at a page boundary"])
def test_truncated_ogg_is_reported_as_truncated(tmp_path, suffix, kwargs, cut):
    if suffix == ".opus":
        kwargs = {"format": "OGG", "rate": 48000, **kwargs}
    whole = _tone(tmp_path / f"whole{suffix}", 6.0, **kwargs)
    assert read_tags(str(whole))["duration"] > 5  # the uncut file is fine
    data = whole.read_bytes()
    end = len(data) * 2 // 3 if cut == "mid-page" else data.rfind(b"OggS")
    cut_file = tmp_path / f"cut{suffix}"
    cut_file.write_bytes(data[:end])
    with pytest.raises(UnreadableFile, match=r"^truncated: "):
        read_tags(str(cut_file))
