"""Walk music folders safely and fast: one entry per real file, symlinked folders followed once.

Hidden entries and files without an audio extension are skipped by name alone (no stat).
Unreadable folders are reported, not fatal; files that vanish mid-walk are simply not there.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
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
    """Yield audio files under `roots` (absolute, normalised), each real file once.

    Depth-first in name order, with an explicit stack rather than recursion: a folder nested
    990 deep used to end the whole scan in a RecursionError."""
    seen_dirs: set[tuple[int, int]] = set()
    seen_files: dict[tuple[int, int], FoundFile] = {}
    for root in roots:
        stack: list[tuple[str, bool]] = [(root, False)]
        while stack:
            folder, via_link = stack.pop()
            subdirs = yield from _walk_dir(folder, root, via_link, seen_dirs, seen_files, problems)
            stack.extend(reversed(subdirs))  # popped in name order


def _walk_dir(
    folder: str,
    root: str,
    via_link: bool,
    seen_dirs: set[tuple[int, int]],
    seen_files: dict[tuple[int, int], FoundFile],
    problems: list[WalkProblem] | None,
) -> Generator[FoundFile, None, list[tuple[str, bool]]]:
    """Yield one folder's audio files; return its subfolders (path, reached through a link)."""
    try:
        st = os.stat(folder)
    except OSError as exc:
        _problem(problems, folder, exc)
        return []
    key = (st.st_dev, st.st_ino)
    if key in seen_dirs:  # a symlink loop, or a second link to a folder already walked
        return []
    seen_dirs.add(key)
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        _problem(problems, folder, exc)
        return []
    subdirs = []
    for entry in entries:
        name = entry.name
        if name.startswith("."):
            continue
        is_link = False
        try:
            is_link = entry.is_symlink()
            if entry.is_dir():  # follows links
                subdirs.append((entry.path, via_link or is_link))
                continue
            if os.path.splitext(name)[1].lower() not in AUDIO_EXTENSIONS:
                continue
            est = entry.stat()  # follows links: the real file's identity and size
        except OSError as exc:
            if is_link and isinstance(exc, FileNotFoundError):
                _broken_link(problems, entry.path)
            elif not isinstance(exc, FileNotFoundError):  # vanished mid-walk: nothing to say
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
    return subdirs


def _broken_link(problems: list[WalkProblem] | None, path: str) -> None:
    if problems is None:
        return
    try:
        target = os.readlink(path)
    except OSError:
        target = "?"
    problems.append(WalkProblem(path, f"broken symbolic link: its target {target} does not exist"))


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
