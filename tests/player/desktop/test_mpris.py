"""MPRIS2 on a private session bus: another client (dbus-send, as desktop widgets are) sees who
we are, what plays and in what state, and its PlayPause / Next / SetPosition drive the player."""

from __future__ import annotations

import concurrent.futures
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from player.desktop.mpris import NO_TRACK, install_mpris, track_metadata
from recommender.library.tracks import Track
from tests.audio_factory import write_audio
from tests.library_factory import insert_file

DEST = "org.mpris.MediaPlayer2.tonearm"
PATH = "/org/mpris/MediaPlayer2"
PLAYER = "org.mpris.MediaPlayer2.Player"
needs_dbus = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("dbus-daemon", "dbus-send", "dbus-monitor")),
    reason="dbus-daemon / dbus-send / dbus-monitor not installed (Debian package: dbus)",
)


@pytest.fixture
def bus_address(monkeypatch):
    """A private session bus for this test only."""
    daemon = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        text=True,
    )
    address = daemon.stdout.readline().strip()
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
    yield address
    daemon.terminate()
    daemon.wait(5)


@pytest.fixture
def mpris_window(make_window, bus_address):
    opened = []

    def make():
        window = make_window()
        service = install_mpris(window.context)
        assert service is not None, "MPRIS did not register on the test bus"
        opened.append(service)
        return window, service

    yield make
    for service in opened:
        service.close()


def _bus_call(qtbot, address: str, method: str, *args: str) -> str:
    """dbus-send from a thread (it blocks until our GUI thread answers), waiting on the result."""
    command = ["dbus-send", f"--bus={address}", "--print-reply", f"--dest={DEST}", PATH, method]
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        future = pool.submit(
            subprocess.run, [*command, *args], capture_output=True, text=True, timeout=20
        )
        qtbot.waitUntil(future.done, timeout=25_000)
    result = future.result()
    assert result.returncode == 0, result.stderr
    return result.stdout


def _get(qtbot, address: str, interface: str, name: str) -> str:
    return _bus_call(
        qtbot,
        address,
        "org.freedesktop.DBus.Properties.Get",
        f"string:{interface}",
        f"string:{name}",
    )


def _tones(store, music_dir: Path) -> list[int]:
    ids = []
    for n, title in enumerate(("Alpha", "Beta"), start=1):
        path = write_audio(music_dir / f"{n:02d} {title}.ogg", seconds=6.0, freq=300 + 100 * n)
        ids.append(
            insert_file(
                store,
                path,
                title=title,
                artist="Tester",
                album="Tones",
                albumartist="Tester",
                tracknumber=n,
                duration=6.0,
            )
        )
    return ids


@needs_dbus
def test_identity_status_and_metadata_of_the_playing_track(
    qtbot, mpris_window, bus_address, store, music_dir: Path
):
    first, _second = _tones(store, music_dir)
    (music_dir / "cover.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    window, service = mpris_window()
    assert 'string "Tonearm"' in _get(qtbot, bus_address, "org.mpris.MediaPlayer2", "Identity")
    desktop = _get(qtbot, bus_address, "org.mpris.MediaPlayer2", "DesktopEntry")
    assert 'string "tonearm"' in desktop
    assert 'string "Stopped"' in _get(qtbot, bus_address, PLAYER, "PlaybackStatus")

    window.play_library_row(window.model.row_of_track(first))
    qtbot.waitUntil(window.playback.is_playing, timeout=10_000)
    qtbot.waitUntil(lambda: bool(service._art_url), timeout=10_000)
    assert 'string "Playing"' in _get(qtbot, bus_address, PLAYER, "PlaybackStatus")
    meta = _get(qtbot, bus_address, PLAYER, "Metadata")
    assert f'object path "/org/tonearm/track/{first}"' in meta
    assert 'string "xesam:title"\n            variant                string "Alpha"' in meta
    assert 'string "xesam:artist"\n            variant                array [' in meta
    assert 'string "Tester"' in meta and 'string "Tones"' in meta
    assert "6000000" in meta  # mpris:length in microseconds
    assert f'string "file://{music_dir}/cover.jpg"' in meta
    position = _get(qtbot, bus_address, PLAYER, "Position")
    assert "int64" in position


@needs_dbus
def test_play_pause_next_and_set_position_drive_the_player(
    qtbot, mpris_window, bus_address, store, music_dir: Path
):
    first, second = _tones(store, music_dir)
    window, _service = mpris_window()
    window.play_library_row(window.model.row_of_track(first))
    qtbot.waitUntil(window.playback.is_playing, timeout=10_000)

    _bus_call(qtbot, bus_address, f"{PLAYER}.PlayPause")
    qtbot.waitUntil(lambda: not window.playback.is_playing(), timeout=5000)
    assert 'string "Paused"' in _get(qtbot, bus_address, PLAYER, "PlaybackStatus")
    _bus_call(qtbot, bus_address, f"{PLAYER}.Play")
    qtbot.waitUntil(window.playback.is_playing, timeout=5000)

    _bus_call(
        qtbot, bus_address, f"{PLAYER}.SetPosition", f"objpath:/org/tonearm/track/{first}",
        "int64:3000000",
    )  # fmt: skip
    qtbot.waitUntil(lambda: window.playback.position_ms() >= 2900, timeout=5000)

    with qtbot.waitSignal(window.playback.trackChanged, timeout=10_000):
        _bus_call(qtbot, bus_address, f"{PLAYER}.Next")
    assert window.playback.track.id == second
    assert f"/org/tonearm/track/{second}" in _get(qtbot, bus_address, PLAYER, "Metadata")

    _bus_call(
        qtbot, bus_address, "org.freedesktop.DBus.Properties.Set", f"string:{PLAYER}",
        "string:Volume", "variant:double:0.25",
    )  # fmt: skip
    qtbot.waitUntil(lambda: abs(window.settings.volume - 0.25) < 1e-6, timeout=5000)


@needs_dbus
def test_properties_changed_is_announced_on_track_and_state_changes(
    qtbot, mpris_window, bus_address, store, music_dir: Path
):
    first, _second = _tones(store, music_dir)
    window, _service = mpris_window()
    monitor = subprocess.Popen(
        ["dbus-monitor", "--address", bus_address, f"type='signal',path='{PATH}'"],
        stdout=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []

    def read() -> None:
        for line in monitor.stdout:
            lines.append(line)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        qtbot.waitUntil(lambda: bool(lines), timeout=10_000)  # it says when it is listening
        window.play_library_row(window.model.row_of_track(first))
        qtbot.waitUntil(window.playback.is_playing, timeout=10_000)
        window.playback.toggle()

        def announced() -> bool:
            text = "".join(lines)
            return (
                "member=PropertiesChanged" in text
                and 'string "Alpha"' in text
                and 'string "Paused"' in text
            )

        qtbot.waitUntil(announced, timeout=10_000)
    finally:
        monitor.terminate()
        reader.join(5)
    text = "".join(lines)
    assert 'string "org.mpris.MediaPlayer2.Player"' in text


def test_without_a_session_bus_the_player_carries_on(make_window, monkeypatch, tmp_path: Path):
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path}/no-bus-here")
    window = make_window()
    assert install_mpris(window.context) is None
    window.playback.toggle()  # still works


def test_metadata_types_follow_the_spec():
    track = Track(
        1, "/m/a b.ogg", 10, 0.0, title="T", artist="A", album="L", duration=3000.5, tracknumber=2
    )
    meta = track_metadata(track, "file:///c.jpg")
    assert meta["mpris:trackid"].path() == "/org/tonearm/track/1"
    assert meta["xesam:artist"] == ["A"] and meta["xesam:album"] == "L"
    assert meta["mpris:length"] == 3_000_500_000
    assert meta["xesam:url"] == "file:///m/a%20b.ogg"
    assert track_metadata(None)["mpris:trackid"].path() == NO_TRACK
