"""Menu entry, icons and AppStream metainfo for a Tonearm installed with pip/pipx (or unpacked).

A wheel cannot put files in ~/.local/share, so `tonearm install-desktop` copies them there from
the shipped resources, with Exec pointing at this install's own `tonearm`; `uninstall-desktop`
removes exactly what it wrote. Layout per the freedesktop.org specs under $XDG_DATA_HOME.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from recommender.core.errors import NotFoundError, UsageError
from recommender.core.resource_paths import (
    APP_ID,
    ICON_NAME,
    ICON_SIZES_PX,
    icon_png,
    icon_svg,
    resource_path,
)

log = logging.getLogger(__name__)

MIMEAPPS_FILE = "mimeapps.list"
DESKTOP_FILE = f"{APP_ID}.desktop"
"""Named by the AppStream id, as the desktop-entry spec asks (D-Bus-style reverse DNS)."""
OLD_DESKTOP_FILES = ("tonearm.desktop",)
"""Names earlier versions installed under: replaced on install, removed on uninstall."""
METAINFO_FILE = f"{APP_ID}.metainfo.xml"
MARKER = "X-Tonearm-Installed-By=tonearm install-desktop"
REFRESH_TIMEOUT_S = 20
_SAFE_EXEC = re.compile(r"[A-Za-z0-9/._+-]+")


@dataclass
class DesktopFiles:
    """What install or uninstall touched, for the CLI to print."""

    exec_path: Path | None
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def data_home() -> Path:
    """$XDG_DATA_HOME, else ~/.local/share (the spec's default)."""
    env = os.environ.get("XDG_DATA_HOME")
    return Path(env) if env and os.path.isabs(env) else Path.home() / ".local" / "share"


def targets(home: Path) -> dict[Path, Path]:
    """Installed path -> shipped source, for every file install-desktop writes."""
    out = {
        home / "applications" / DESKTOP_FILE: resource_path(DESKTOP_FILE),
        home / "metainfo" / METAINFO_FILE: resource_path(METAINFO_FILE),
        home / "icons" / "hicolor" / "scalable" / "apps" / f"{ICON_NAME}.svg": icon_svg(),
    }
    for size in ICON_SIZES_PX:
        out[home / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{ICON_NAME}.png"] = icon_png(
            size
        )
    return out


def tonearm_executable() -> Path | None:
    """This install's `tonearm`: the bundle itself, else the script beside this Python."""
    if getattr(sys, "frozen", False):
        return Path(sys.executable).absolute()
    beside = Path(sys.executable).parent / ("tonearm.exe" if os.name == "nt" else "tonearm")
    if beside.is_file():
        return beside.absolute()  # a venv's or pipx's bin/ (not resolved: the venv may move)
    found = shutil.which("tonearm")
    return Path(found).absolute() if found else None


def _desktop_string(text: str) -> str:
    """Escape a value for a .desktop file (the spec's string escapes)."""
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")


def exec_argument(path: Path) -> str:
    """`path` as the program in an Exec line: quoted per the spec when it needs to be."""
    text = str(path)
    if not _SAFE_EXEC.fullmatch(text):
        text = '"' + re.sub(r'(["`$\\])', r"\\\1", text) + '"'
    return _desktop_string(text.replace("%", "%%"))


def desktop_entry_text(template: str, exec_path: Path) -> str:
    """The shipped entry with Exec/TryExec pointing at `exec_path` and our marker added."""
    lines = []
    for line in template.splitlines():
        if line.startswith("Exec="):
            args = line.split("=", 1)[1].split(" ", 1)[1:]  # keep "%F"
            line = "Exec=" + " ".join([exec_argument(exec_path), *args])
        elif line.startswith("TryExec="):
            line = "TryExec=" + _desktop_string(str(exec_path))
        lines.append(line)
        if line == "[Desktop Entry]":
            lines.append(MARKER)
    return "\n".join(lines) + "\n"


def _check_platform() -> None:
    if not sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        raise UsageError("install-desktop is for Linux and BSD desktops (freedesktop.org menus)")


def install_desktop(
    exec_path: Path | None = None, *, home: Path | None = None, refresh: bool = True
) -> DesktopFiles:
    """Copy the entry (Exec = `exec_path`, default this install's tonearm), icons, metainfo."""
    _check_platform()
    home = home or data_home()
    exec_path = exec_path or tonearm_executable()
    if exec_path is None:
        raise NotFoundError("cannot find the tonearm executable; give it with --exec PATH")
    result = DesktopFiles(exec_path)
    for target, source in targets(home).items():
        if not source.is_file():
            raise NotFoundError(f"{source} is missing from this install of Tonearm")
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.name == DESKTOP_FILE:
            text = desktop_entry_text(source.read_text(encoding="utf-8"), exec_path)
            _write_atomic(target, text.encode("utf-8"))
        else:
            _write_atomic(target, source.read_bytes())
        result.files.append(target)
    result.files += _remove_old_entries(home, result)
    for path in (config_home() / MIMEAPPS_FILE, home / "applications" / MIMEAPPS_FILE):
        renamed = _rename_associations(path)
        if renamed:
            result.notes.append(f"{path}: {renamed} file associations now name {DESKTOP_FILE}")
    if refresh:
        result.notes += _refresh_caches(home)
    return result


def config_home() -> Path:
    """$XDG_CONFIG_HOME, else ~/.config (the spec's default)."""
    env = os.environ.get("XDG_CONFIG_HOME")
    return Path(env) if env and os.path.isabs(env) else Path.home() / ".config"


def _rename_associations(path: Path) -> int:
    """Make the defaults and associations a user gave an earlier entry name (mimeapps.list,
    the MIME applications spec's user file) name the current one, so Tonearm stays the player
    for those types; every other line is kept as it was. Returns how many values changed."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return 0
    if not any(name in text for name in OLD_DESKTOP_FILES):
        return 0
    changed = 0
    lines = []
    for line in text.splitlines(keepends=True):
        key, sep, value = line.partition("=")
        if sep and not key.lstrip().startswith(("#", "[")):
            body = value.rstrip("\r\n")
            ids = [DESKTOP_FILE if x.strip() in OLD_DESKTOP_FILES else x for x in body.split(";")]
            kept = [x for i, x in enumerate(ids) if not x or x not in ids[:i]]  # no twice
            if kept != body.split(";"):
                changed += 1
                line = key + sep + ";".join(kept) + value[len(body) :]
        lines.append(line)
    if changed:
        _write_atomic(path, "".join(lines).encode("utf-8"))
    return changed


def _remove_old_entries(home: Path, result: DesktopFiles) -> list[Path]:
    """Our entries under an earlier name (two menu items otherwise); others' stay."""
    removed = []
    for name in OLD_DESKTOP_FILES:
        old = home / "applications" / name
        if not old.is_file():
            continue
        if MARKER not in old.read_text("utf-8", "replace"):
            result.notes.append(f"left {old}: not written by tonearm install-desktop")
            continue
        old.unlink()
        removed.append(old)
    return removed


def uninstall_desktop(*, home: Path | None = None, refresh: bool = True) -> DesktopFiles:
    """Remove what install_desktop wrote (also under earlier names); an entry of ours by name
    that we did not write is left alone."""
    _check_platform()
    home = home or data_home()
    result = DesktopFiles(None)
    for target in targets(home):
        if not target.is_file():
            continue
        if target.name == DESKTOP_FILE and MARKER not in target.read_text("utf-8", "replace"):
            result.notes.append(f"left {target}: not written by tonearm install-desktop")
            continue
        target.unlink()
        result.files.append(target)
    result.files += _remove_old_entries(home, result)
    if refresh and result.files:
        result.notes += _refresh_caches(home)
    return result


def _write_atomic(target: Path, data: bytes) -> None:
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, target)


def _refresh_caches(home: Path) -> list[str]:
    """Ask the desktop to notice (MIME associations, icons); missing tools are only noted."""
    notes = []
    commands = [["update-desktop-database", "-q", str(home / "applications")]]
    hicolor = home / "icons" / "hicolor"
    if (hicolor / "index.theme").is_file():  # gtk-update-icon-cache refuses a theme without it
        commands.append(["gtk-update-icon-cache", "-q", "-t", str(hicolor)])
    for command in commands:
        if shutil.which(command[0]) is None:
            notes.append(f"{command[0]} not found; menus may update at next login")
            continue
        try:
            subprocess.run(command, check=True, capture_output=True, timeout=REFRESH_TIMEOUT_S)
        except (OSError, subprocess.SubprocessError) as exc:
            log.warning("%s failed: %s", command[0], exc)
            notes.append(f"{command[0]} failed: {exc}")
    return notes
