"""Desktop integration: shipped files are valid, install-desktop writes them under
$XDG_DATA_HOME with Exec pointing at this install, uninstall-desktop removes only its own."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from recommender.app.desktop_entry import (
    DESKTOP_FILE,
    MARKER,
    desktop_entry_text,
    exec_argument,
    install_desktop,
    targets,
    uninstall_desktop,
)
from recommender.cli.main import main as cli_main
from recommender.core import resource_paths
from recommender.core.resource_paths import ICON_SIZES_PX, resource_path

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="freedesktop.org layout")


@pytest.fixture
def xdg_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "share"
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # its mimeapps.list
    return home


def _exec_line(path: Path) -> str:
    return next(x for x in path.read_text().splitlines() if x.startswith("Exec="))


def test_install_writes_entry_icons_and_metainfo_pointing_at_the_executable(
    xdg_home: Path, tmp_path: Path
) -> None:
    exe = tmp_path / "venv" / "bin" / "tonearm"
    result = install_desktop(exe, refresh=False)
    entry = xdg_home / "applications" / DESKTOP_FILE
    assert _exec_line(entry) == f"Exec={exe} %F"
    assert MARKER in entry.read_text()
    for size in ICON_SIZES_PX:
        assert (xdg_home / f"icons/hicolor/{size}x{size}/apps/tonearm.png").is_file()
    assert (xdg_home / "icons/hicolor/scalable/apps/tonearm.svg").is_file()
    assert (xdg_home / "metainfo/io.github.tonearm.Tonearm.metainfo.xml").is_file()
    assert sorted(result.files) == sorted(targets(xdg_home))


def test_uninstall_removes_what_install_wrote_and_nothing_else(xdg_home: Path) -> None:
    install_desktop(Path("/opt/tonearm/tonearm"), refresh=False)
    other = xdg_home / "applications" / "other.desktop"
    other.write_text("[Desktop Entry]\n")
    removed = uninstall_desktop(refresh=False)
    assert len(removed.files) == len(targets(xdg_home))
    assert not any(p.exists() for p in targets(xdg_home))
    assert other.exists()


def test_uninstall_leaves_a_tonearm_entry_it_did_not_write(xdg_home: Path) -> None:
    entry = xdg_home / "applications" / DESKTOP_FILE
    entry.parent.mkdir(parents=True)
    entry.write_text("[Desktop Entry]\nName=Someone else's\n")
    result = uninstall_desktop(refresh=False)
    assert entry.exists() and result.notes


def test_the_entry_is_named_by_the_appstream_id() -> None:
    """The desktop id, the AppStream id and its <launchable> are one reverse-DNS name."""
    metainfo = resource_path("io.github.tonearm.Tonearm.metainfo.xml").read_text()
    assert DESKTOP_FILE == "io.github.tonearm.Tonearm.desktop"
    assert "<id>io.github.tonearm.Tonearm</id>" in metainfo
    assert f'<launchable type="desktop-id">{DESKTOP_FILE}</launchable>' in metainfo
    assert resource_path(DESKTOP_FILE).is_file()


def _old_entry(home: Path, ours: bool) -> Path:
    """tonearm.desktop as an earlier install-desktop wrote it (or as someone else did)."""
    old = home / "applications" / "tonearm.desktop"
    old.parent.mkdir(parents=True, exist_ok=True)
    marker = MARKER + "\n" if ours else ""
    old.write_text(f"[Desktop Entry]\n{marker}Type=Application\nName=Tonearm\nExec=tonearm %F\n")
    return old


def test_install_replaces_and_uninstall_removes_the_old_tonearm_desktop(xdg_home: Path) -> None:
    old = _old_entry(xdg_home, ours=True)
    installed = install_desktop(Path("/opt/tonearm/tonearm"), refresh=False)
    assert old in installed.files and not old.exists()
    assert (xdg_home / "applications" / "io.github.tonearm.Tonearm.desktop").is_file()
    old = _old_entry(xdg_home, ours=True)  # say an old version ran install-desktop again
    removed = uninstall_desktop(refresh=False)
    assert old in removed.files and not old.exists()
    assert not (xdg_home / "applications" / DESKTOP_FILE).exists()


def test_file_associations_given_to_the_old_entry_follow_it(xdg_home: Path, tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    mimeapps = config / "mimeapps.list"
    mimeapps.write_text(
        "# chosen in the file manager\n"
        "[Default Applications]\n"
        "audio/flac=tonearm.desktop\n"
        "x-scheme-handler/http=firefox.desktop\n"
        "[Added Associations]\n"
        "audio/mpeg=vlc.desktop;tonearm.desktop;\n"
        "audio/ogg=tonearm.desktop;io.github.tonearm.Tonearm.desktop;\n"
        "[Removed Associations]\n"
        "video/mp4=mytonearm.desktop;\n"
    )
    _old_entry(xdg_home, ours=True)
    result = install_desktop(Path("/opt/tonearm/tonearm"), refresh=False)
    assert mimeapps.read_text() == (
        "# chosen in the file manager\n"
        "[Default Applications]\n"
        "audio/flac=io.github.tonearm.Tonearm.desktop\n"
        "x-scheme-handler/http=firefox.desktop\n"
        "[Added Associations]\n"
        "audio/mpeg=vlc.desktop;io.github.tonearm.Tonearm.desktop;\n"
        "audio/ogg=io.github.tonearm.Tonearm.desktop;\n"
        "[Removed Associations]\n"
        "video/mp4=mytonearm.desktop;\n"
    )
    assert any("3 file associations" in note for note in result.notes)


def test_an_old_named_entry_someone_else_wrote_stays(xdg_home: Path) -> None:
    old = _old_entry(xdg_home, ours=False)
    install_desktop(Path("/opt/tonearm/tonearm"), refresh=False)
    result = uninstall_desktop(refresh=False)
    assert old.exists() and any("tonearm.desktop" in note for note in result.notes)


def test_exec_paths_with_spaces_and_specials_are_quoted_per_the_spec() -> None:
    assert exec_argument(Path("/usr/bin/tonearm")) == "/usr/bin/tonearm"
    assert exec_argument(Path("/home/a b/tonearm")) == '"/home/a b/tonearm"'
    # `$` is escaped for the Exec quoting, then the backslash itself for the string level.
    assert exec_argument(Path("/x/$y 100%/tonearm")) == '"/x/\\\\$y 100%%/tonearm"'


def test_cli_install_and_uninstall(xdg_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["install-desktop", "--exec", "/opt/Tonearm/tonearm"]) == 0
    assert "launches /opt/Tonearm/tonearm" in capsys.readouterr().out
    assert _exec_line(xdg_home / "applications" / DESKTOP_FILE).startswith(
        "Exec=/opt/Tonearm/tonearm"
    )
    assert cli_main(["uninstall-desktop", "--json"]) == 0
    assert not (xdg_home / "applications" / DESKTOP_FILE).exists()


@pytest.mark.skipif(not shutil.which("desktop-file-validate"), reason="desktop-file-utils")
def test_shipped_and_installed_entries_pass_desktop_file_validate(tmp_path: Path) -> None:
    installed = tmp_path / DESKTOP_FILE
    template = resource_path(DESKTOP_FILE).read_text()
    installed.write_text(desktop_entry_text(template, Path("/home/a b/bin/tonearm")))
    for path in (resource_path(DESKTOP_FILE), installed):
        run = subprocess.run(["desktop-file-validate", str(path)], capture_output=True, text=True)
        assert run.returncode == 0 and not run.stdout.strip(), run.stdout


@pytest.mark.skipif(not shutil.which("appstreamcli"), reason="appstream")
def test_metainfo_passes_appstreamcli_validate() -> None:
    path = resource_path("io.github.tonearm.Tonearm.metainfo.xml")
    run = subprocess.run(
        ["appstreamcli", "validate", "--no-net", str(path)], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_resources_are_found_in_a_bundle_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundled = tmp_path / "resources" / "model" / "sound_cnn.onnx"
    bundled.parent.mkdir(parents=True)
    bundled.write_bytes(b"x")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resource_path("model", "sound_cnn.onnx") == bundled
    assert resource_paths.resource_roots()[0] == tmp_path / "resources"


def test_a_missing_resource_names_where_it_was_expected() -> None:
    path = resource_path("model", "no-such-model.onnx")
    assert not path.exists() and path.parts[-3:] == ("resources", "model", "no-such-model.onnx")


def test_shipped_icons_exist_at_every_size() -> None:
    for size in ICON_SIZES_PX:
        assert resource_paths.icon_png(size).is_file()
    assert resource_paths.icon_svg().is_file()
