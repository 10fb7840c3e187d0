"""Shared fixtures: a fresh data folder and an opened store per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def store(data_dir: Path):
    from recommender.library.store import open_store

    s = open_store(data_dir)
    yield s
    s.close()


@pytest.fixture
def music_dir(tmp_path: Path) -> Path:
    path = tmp_path / "Music"
    path.mkdir()
    return path
