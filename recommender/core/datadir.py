"""Where Tonearm keeps its files.

The data folder holds what cannot be rebuilt (the library database, the remote token): it is
`--data-dir`, else `TONEARM_HOME`, else the platform's data folder (~/.local/share/tonearm).
With the platform's data folder, settings (`settings.json`, `window.ini`) live in the
platform's config folder ($XDG_CONFIG_HOME/tonearm, ~/.config/tonearm) and rebuildable caches
(`library-columns.npz`, cover art handed to the desktop) in its cache folder
($XDG_CACHE_HOME/tonearm, ~/.cache/tonearm), as the XDG convention asks. A folder chosen with
`--data-dir` or `TONEARM_HOME` keeps everything: settings in it, caches in its `cache/`.
`move_to_platform_folders` moves the files of older installs, which kept all in the data folder.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from pathlib import Path

import platformdirs

from recommender.core.errors import StoreError, TonearmError

APP_NAME = "tonearm"
ENV_HOME = "TONEARM_HOME"
CONFIG_FILES = ("settings.json", "window.ini")
CACHE_FILES = ("library-columns.npz",)
COVER_PREFIX = "mpris-cover-"
log = logging.getLogger(__name__)


def resolve_data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Return the data folder (not yet created): explicit, then $TONEARM_HOME, then the default."""
    if explicit:
        return Path(explicit).expanduser().absolute()
    env = os.environ.get(ENV_HOME)
    if env:
        return Path(env).expanduser().absolute()
    return default_data_dir()


def default_data_dir() -> Path:
    # ~/.local/share/tonearm on Linux, %LOCALAPPDATA%\tonearm on Windows, ~/Library/... on macOS.
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_dir(data_dir: Path) -> Path:
    """Where the settings of the data folder `data_dir` live (see the module's docstring)."""
    if data_dir == default_data_dir():
        return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))
    return data_dir


def cache_dir(data_dir: Path) -> Path:
    """Where the rebuildable caches of the data folder `data_dir` live; safe to delete."""
    if data_dir == default_data_dir():
        return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))
    return data_dir / "cache"


def move_to_platform_folders(data_dir: Path) -> list[Path]:
    """Move settings and caches an older Tonearm kept in the data folder to where they live
    now; returns the files moved. A file already at its new place wins and the old one stays
    untouched; settings that cannot be moved stop here with a message (nothing is lost)."""
    moved: list[Path] = []
    settings_dir, caches = config_dir(data_dir), cache_dir(data_dir)
    if settings_dir != data_dir:
        for name in CONFIG_FILES:
            try:
                if _move(data_dir / name, settings_dir / name):
                    moved.append(settings_dir / name)
            except OSError as exc:
                raise TonearmError(
                    f"cannot move {data_dir / name} to {settings_dir}: {exc.strerror or exc}; "
                    "nothing was changed"
                ) from exc
    old_caches = [data_dir / name for name in CACHE_FILES]
    old_cover_dir = data_dir / "cache"
    if old_cover_dir != caches and old_cover_dir.is_dir():
        old_caches += sorted(old_cover_dir.glob(COVER_PREFIX + "*"))
    for old in old_caches:
        if old.parent == caches:
            continue
        try:
            if _move(old, caches / old.name):
                moved.append(caches / old.name)
        except OSError as exc:  # a cache: rebuilt when missing (a read-only folder: each time)
            log.info("cannot move the cache %s to %s: %s", old, caches, exc)
    if old_cover_dir != caches:
        with contextlib.suppress(OSError):  # only when empty: it may hold files not ours
            old_cover_dir.rmdir()
    return moved


def _move(source: Path, target: Path) -> bool:
    """Move one file unless the target exists; across file systems (or out of a read-only
    folder) through a temporary copy, so the target is never half-written."""
    if not source.is_file() or target.exists():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(source, target)  # same file system: atomic
    except OSError:
        partial = target.with_name(target.name + ".part")
        shutil.copy2(source, partial)
        os.replace(partial, target)
        try:
            source.unlink()
        except OSError as exc:  # a read-only data folder: the copy is the one read from now on
            log.info("copied %s to %s but cannot remove it: %s", source, target, exc)
    return True


def ensure_data_dir(path: Path) -> Path:
    """Create the data folder, turning OS errors into a message a person can act on."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the data folder {path}: {exc.strerror or exc}") from exc
    if not os.access(path, os.W_OK):
        raise StoreError(f"the data folder {path} is not writable")
    return path


def default_music_dir() -> Path:
    """The platform's Music folder (XDG_MUSIC_DIR on Linux), used when nothing is configured."""
    return Path(platformdirs.user_music_dir())
