"""Walk music folders safely and fast: one entry per real file, symlinked folders followed once.

Hidden entries and files without an audio extension are skipped by name alone (no stat).
Unreadable folders are reported, not fatal; files that vanish mid-walk are simply not there.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

from recommender.library.tags import AUDIO_EXTENSIONS


@dataclass(frozen=True, slots=True)
class FoundFile:
    path: str
    size: int
    mtime: float
    root: str
    via_link: bool


@dataclass(frozen=True, slots=True)
class WalkProblem:
    path: str
    reason: str


def walk_audio_files(
    roots: list[str], problems: list[WalkProblem] | None = None
) -> Iterator[FoundFile]:
    """Yield audio files under `roots` (absolute, normalised), each real file once."""
    seen_dirs: set[tuple[int, int]] = set()
    seen_files: dict[tuple[int, int], FoundFile] = {}
    for root in roots:
        yield from _walk_dir(root, root, False, seen_dirs, seen_files, problems)


def _walk_dir(
    folder: str,
    root: str,
    via_link: bool,
    seen_dirs: set[tuple[int, int]],
    seen_files: dict[tuple[int, int], FoundFile],
    problems: list[WalkProblem] | None,
) -> Iterator[FoundFile]:
    try:
        st = os.stat(folder)
    except OSError as exc:
        _problem(problems, folder, exc)
        return
    key = (st.st_dev, st.st_ino)
    if key in seen_dirs:  # a symlink loop, or a second link to a folder already walked
        return
    seen_dirs.add(key)
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        _problem(problems, folder, exc)
        return
    subdirs = []
    for entry in entries:
        name = entry.name
        if name.startswith("."):
            continue
        try:
            is_link = entry.is_symlink()
            if entry.is_dir():  # follows links
                subdirs.append((entry.path, via_link or is_link))
                continue
            if os.path.splitext(name)[1].lower() not in AUDIO_EXTENSIONS:
                continue
            est = entry.stat()  # follows links: the real file's identity and size
        except OSError as exc:
            if not isinstance(exc, FileNotFoundError):  # vanished mid-walk: nothing to report
                _problem(problems, entry.path, exc)
            continue
        if not entry.is_file():
            continue
        found = FoundFile(entry.path, est.st_size, est.st_mtime, root, via_link or is_link)
        file_key = (est.st_dev, est.st_ino)
        first = seen_files.get(file_key)
        if first is None:
            seen_files[file_key] = found
            yield found
    for path, link in subdirs:
        yield from _walk_dir(path, root, link, seen_dirs, seen_files, problems)


def _problem(problems: list[WalkProblem] | None, path: str, exc: OSError) -> None:
    if problems is None:
        return
    if isinstance(exc, PermissionError):
        reason = "permission denied"
    elif isinstance(exc, FileNotFoundError):
        reason = "folder not found"
    else:
        reason = exc.strerror or str(exc)
    problems.append(WalkProblem(path, reason))
