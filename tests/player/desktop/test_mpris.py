"""MPRIS2 on a private session bus: another client (dbus-send, as desktop widgets are) sees who
we are, what plays and in what state, and its PlayPause / Next / SetPosition drive the player."""

from __future__ import annotations

import concurrent.futures
import shutil
import subprocess
import threading
from pathlib import Path
from xml.etree import ElementTree

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
    assert 'string "io.github.tonearm.Tonearm"' in desktop  # names the installed .desktop
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
    assert meta["mpris:trackid"] == ("o", "/org/tonearm/track/1")
    assert meta["xesam:artist"] == ("as", ["A"]) and meta["xesam:album"] == ("s", "L")
    assert meta["mpris:length"] == ("x", 3_000_500_000)
    assert meta["xesam:trackNumber"] == ("i", 2)
    assert meta["xesam:url"] == ("s", "file:///m/a%20b.ogg")
    assert track_metadata(None)["mpris:trackid"] == ("o", NO_TRACK)


needs_playerctl = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("dbus-daemon", "dbus-send", "dbus-monitor", "playerctl")),
    reason="playerctl / dbus not installed (Debian packages: playerctl, dbus)",
)


def _playerctl(qtbot, *args: str) -> str:
    """playerctl (a real MPRIS client, GDBus underneath) against our bus, from a thread."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        future = pool.submit(
            subprocess.run,
            ["playerctl", "--player=tonearm", *args],
            capture_output=True,
            text=True,
            timeout=20,
        )
        qtbot.waitUntil(future.done, timeout=25_000)
    result = future.result()
    assert result.returncode == 0, f"playerctl {' '.join(args)}: {result.stderr}"
    return result.stdout.strip()


class _Monitor:
    """dbus-monitor on our object's signals, its lines collected by a thread."""

    def __init__(self, qtbot, address: str) -> None:
        self.process = subprocess.Popen(
            ["dbus-monitor", "--address", address, f"type='signal',path='{PATH}'"],
            stdout=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read)
        self.reader.start()
        qtbot.waitUntil(lambda: bool(self.lines), timeout=10_000)  # it says when it listens

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)

    def text(self) -> str:
        return "".join(self.lines)

    def close(self) -> None:
        self.process.terminate()
        self.reader.join(5)


@needs_playerctl
def test_playerctl_stop_then_play_restarts_the_current_track(
    qtbot, mpris_window, bus_address, store, music_dir: Path
):
    first, _second = _tones(store, music_dir)
    window, _service = mpris_window()
    window.play_library_row(window.model.row_of_track(first))
    qtbot.waitUntil(window.playback.is_playing, timeout=10_000)
    assert _playerctl(qtbot, "status") == "Playing"
    _playerctl(qtbot, "stop")
    qtbot.waitUntil(lambda: window.playback.track is None, timeout=5000)
    assert _playerctl(qtbot, "status") == "Stopped"
    _playerctl(qtbot, "play")
    qtbot.waitUntil(window.playback.is_playing, timeout=10_000)
    assert window.playback.track.id == first  # not the next one
    _playerctl(qtbot, "stop")
    qtbot.waitUntil(lambda: window.playback.track is None, timeout=5000)
    _playerctl(qtbot, "play-pause")
    qtbot.waitUntil(window.playback.is_playing, timeout=10_000)
    assert window.playback.track.id == first


@needs_playerctl
def test_playerctl_sets_loop_and_shuffle_and_hears_the_app_change_them(
    qtbot, mpris_window, bus_address, store, music_dir: Path
):
    _tones(store, music_dir)
    window, _service = mpris_window()
    assert _playerctl(qtbot, "loop") == "None"
    assert _playerctl(qtbot, "shuffle") == "Off"

    _playerctl(qtbot, "loop", "Playlist")
    qtbot.waitUntil(lambda: window.order.repeat == "all", timeout=5000)
    assert window.now_playing.repeat_button.text() == "Repeat: all"
    _playerctl(qtbot, "loop", "Track")
    qtbot.waitUntil(lambda: window.order.repeat == "one", timeout=5000)
    assert _playerctl(qtbot, "loop") == "Track"
    _playerctl(qtbot, "shuffle", "On")
    qtbot.waitUntil(lambda: window.order.shuffle, timeout=5000)
    assert window.now_playing.shuffle_button.isChecked()
    assert _playerctl(qtbot, "shuffle") == "On"

    monitor = _Monitor(qtbot, bus_address)
    try:
        window.now_playing.repeat_button.click()  # one -> off, as the user clicks it
        window.now_playing.shuffle_button.click()
        qtbot.waitUntil(
            lambda: all(f'string "{name}"' in monitor.text() for name in ("LoopStatus", "Shuffle")),
            timeout=10_000,
        )
    finally:
        monitor.close()
    text = monitor.text()
    assert 'string "LoopStatus"\n         variant             string "None"' in text
    assert 'string "Shuffle"\n         variant             boolean false' in text
    assert window.order.repeat == "off" and not window.order.shuffle
    assert _playerctl(qtbot, "loop") == "None"
    assert _playerctl(qtbot, "shuffle") == "Off"


@needs_playerctl
def test_can_go_next_is_false_on_the_last_track_unless_repeating(
    qtbot, mpris_window, bus_address, store, music_dir: Path
):
    first, second = _tones(store, music_dir)
    window, _service = mpris_window()
    window.play_library_row(window.model.row_of_track(second))
    qtbot.waitUntil(window.playback.is_playing, timeout=10_000)
    assert "boolean false" in _get(qtbot, bus_address, PLAYER, "CanGoNext")
    assert "boolean true" in _get(qtbot, bus_address, PLAYER, "CanGoPrevious")
    _playerctl(qtbot, "loop", "Playlist")
    qtbot.waitUntil(lambda: window.order.repeat == "all", timeout=5000)
    assert "boolean true" in _get(qtbot, bus_address, PLAYER, "CanGoNext")
    with qtbot.waitSignal(window.playback.trackChanged, timeout=10_000):
        _playerctl(qtbot, "next")
    assert window.playback.track.id == first  # wrapped round
    _playerctl(qtbot, "loop", "Track")  # repeat one holds the track, not a manual Next
    qtbot.waitUntil(lambda: window.order.repeat == "one", timeout=5000)
    assert "boolean true" in _get(qtbot, bus_address, PLAYER, "CanGoNext")


@needs_playerctl
def test_can_play_is_false_with_nothing_to_play(qtbot, mpris_window, bus_address):
    mpris_window()  # an empty library, an empty queue
    assert "boolean false" in _get(qtbot, bus_address, PLAYER, "CanPlay")
    assert "boolean false" in _get(qtbot, bus_address, PLAYER, "CanGoNext")


@needs_playerctl
def test_each_seek_sends_seeked_once(qtbot, mpris_window, bus_address, store, music_dir: Path):
    first, _second = _tones(store, music_dir)
    window, _service = mpris_window()
    window.play_library_row(window.model.row_of_track(first))
    qtbot.waitUntil(lambda: window.playback.position_ms() > 300, timeout=10_000)
    monitor = _Monitor(qtbot, bus_address)
    try:
        _playerctl(qtbot, "position", "3")  # SetPosition
        qtbot.waitUntil(lambda: window.playback.position_ms() >= 3600, timeout=10_000)
        assert monitor.text().count("member=Seeked") == 1
        _playerctl(qtbot, "position", "2-")  # Seek, relative
        qtbot.waitUntil(lambda: monitor.text().count("member=Seeked") == 2, timeout=5000)
        start = window.playback.position_ms()
        qtbot.waitUntil(lambda: window.playback.position_ms() >= start + 700, timeout=10_000)
    finally:
        monitor.close()
    assert monitor.text().count("member=Seeked") == 2
    assert "int64 3000000" in monitor.text()


@needs_playerctl
def test_playerctl_reads_the_length_as_int64(
    qtbot, mpris_window, bus_address, store, music_dir: Path
):
    first, _second = _tones(store, music_dir)
    window, _service = mpris_window()
    window.play_library_row(window.model.row_of_track(first))
    qtbot.waitUntil(window.playback.is_playing, timeout=10_000)
    assert _playerctl(qtbot, "metadata", "mpris:length") == "6000000"
    meta = _get(qtbot, bus_address, PLAYER, "Metadata")
    assert 'string "mpris:length"\n            variant                int64 6000000' in meta


def _bus_call_result(qtbot, address: str, method: str, *args: str):
    command = ["dbus-send", f"--bus={address}", "--print-reply", f"--dest={DEST}", PATH, method]
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        future = pool.submit(
            subprocess.run, [*command, *args], capture_output=True, text=True, timeout=20
        )
        qtbot.waitUntil(future.done, timeout=25_000)
    return future.result()


@needs_dbus
def test_bad_calls_get_an_error_reply_and_introspection_lists_the_player(
    qtbot, mpris_window, bus_address
):
    mpris_window()
    unknown = _bus_call_result(qtbot, bus_address, f"{PLAYER}.Rewind")
    assert unknown.returncode != 0 and "UnknownMethod" in unknown.stderr
    wrong_type = _bus_call_result(
        qtbot, bus_address, "org.freedesktop.DBus.Properties.Set", f"string:{PLAYER}",
        "string:Volume", "variant:string:loud",
    )  # fmt: skip
    assert wrong_type.returncode != 0 and "InvalidArgs" in wrong_type.stderr
    read_only = _bus_call_result(
        qtbot, bus_address, "org.freedesktop.DBus.Properties.Set", f"string:{PLAYER}",
        "string:PlaybackStatus", "variant:string:Playing",
    )  # fmt: skip
    assert read_only.returncode != 0 and "PropertyReadOnly" in read_only.stderr
    xml = _bus_call(qtbot, bus_address, "org.freedesktop.DBus.Introspectable.Introspect")
    assert '<interface name="org.mpris.MediaPlayer2.Player">' in xml
    assert '<property name="Metadata" type="a{sv}" access="read"/>' in xml
    node = ElementTree.fromstring(xml[xml.index('"') + 1 : xml.rindex('"')])  # well-formed
    player = node.find("interface[@name='org.mpris.MediaPlayer2.Player']")
    access = {p.get("name"): p.get("access") for p in player.iter("property")}
    assert access["Volume"] == "readwrite" and access["Position"] == "read"
    everything = _bus_call(
        qtbot, bus_address, "org.freedesktop.DBus.Properties.GetAll", f"string:{PLAYER}"
    )
    assert 'string "CanControl"' in everything and 'string "Position"' in everything
