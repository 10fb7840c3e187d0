"""One typed settings object, persisted as JSON in the data folder's config folder
(`datadir.config_dir`: $XDG_CONFIG_HOME/tonearm for the default data folder, else the folder).

Unknown keys (from a newer Tonearm) are kept and written back, so nothing the user set is lost.
Writes are atomic: a crash mid-write leaves the previous file intact.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from recommender.core.datadir import config_dir
from recommender.core.errors import TonearmError

SETTINGS_FILE = "settings.json"
log = logging.getLogger(__name__)


@dataclass
class Settings:
    """Everything the user can configure; QSettings only holds window geometry."""

    library_folders: list[str] = field(default_factory=list)
    analysis_enabled: bool = True
    replaygain_mode: str = "track"  # "off", "track" or "album"
    replaygain_preamp_db: float = 0.0
    volume: float = 0.8
    theme: str = "system"
    remote_enabled: bool = False
    remote_endpoint: str = ""
    remote_share_history: bool = False
    remote_user_id: str = ""
    notify_track_change: bool = False  # a desktop notification (from the tray) per new track
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, data_dir: Path) -> Settings:
        """Read the settings of the data folder `data_dir`: a missing file gives defaults; a
        damaged one is set aside and reported."""
        path = config_dir(data_dir) / SETTINGS_FILE
        if not path.exists() and (data_dir / SETTINGS_FILE).is_file():
            path = data_dir / SETTINGS_FILE  # an older install's, not moved yet: still read it
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except OSError as exc:
            # Unreadable is not damaged: setting it aside would forget the library folders.
            raise TonearmError(
                f"cannot read the settings file {path}: {exc.strerror or exc}; nothing was "
                "changed (check its permissions)"
            ) from exc
        except ValueError as exc:
            backup = path.with_suffix(".json.damaged")
            log.warning("settings file %s is unreadable (%s); kept as %s", path, exc, backup)
            with contextlib.suppress(OSError):
                os.replace(path, backup)
            return cls()
        if not isinstance(raw, dict):
            return cls()
        known = {f.name for f in fields(cls)} - {"extra"}
        values = {k: v for k, v in raw.items() if k in known}
        extra = {k: v for k, v in raw.items() if k not in known}
        settings = cls(**values)
        settings.extra = extra
        return settings

    def save(self, data_dir: Path) -> None:
        """Write atomically (temp file, fsync, rename) so a crash or a full disk never truncates
        the settings; a write that fails raises TonearmError and leaves the old file as it was."""
        folder = config_dir(data_dir)
        payload = asdict(self)
        extra = payload.pop("extra")
        payload = {**extra, **payload}
        text = json.dumps(payload, indent=2, sort_keys=True)
        tmp: str | None = None
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".settings-", suffix=".json", dir=folder)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, folder / SETTINGS_FILE)
            tmp = None
        except OSError as exc:
            raise TonearmError(
                f"cannot save the settings in {folder}: {exc.strerror or exc}; the settings "
                "file was not changed"
            ) from exc
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
