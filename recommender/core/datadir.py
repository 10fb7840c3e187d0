"""Where Tonearm keeps its data: `--data-dir`, else `TONEARM_HOME`, else the platform's folder."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from recommender.core.errors import StoreError

APP_NAME = "tonearm"
ENV_HOME = "TONEARM_HOME"


def resolve_data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Return the data folder (not yet created): explicit, then $TONEARM_HOME, then the default."""
    if explicit:
        return Path(explicit).expanduser().absolute()
    env = os.environ.get(ENV_HOME)
    if env:
        return Path(env).expanduser().absolute()
    # ~/.local/share/tonearm on Linux, %LOCALAPPDATA%\tonearm on Windows, ~/Library/... on macOS.
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


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
