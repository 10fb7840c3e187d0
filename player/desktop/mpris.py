"""MPRIS2 on the D-Bus session bus, so desktop media controls, keys and widgets drive Tonearm.

Two QDBusAbstractAdaptor children of one registered object export org.mpris.MediaPlayer2 and
org.mpris.MediaPlayer2.Player; their Qt properties and slots are the D-Bus properties and
methods. Changes are announced with org.freedesktop.DBus.Properties.PropertiesChanged, which
QtDBus does not send by itself. Without a session bus (a bare container, Windows, macOS) this
logs one line and the player carries on.

PySide6 turns a Python int that fits in 32 bits into a D-Bus int32, so inside Metadata
`mpris:length` is an int32 for tracks under about 35 minutes (int64 above); properties declared
"qlonglong" (Position) and the Seeked signal are proper int64s.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import ClassInfo, Property, QMetaType, QObject, QUrl, Signal, Slot
from PySide6.QtDBus import (
    QDBusAbstractAdaptor,
    QDBusArgument,
    QDBusConnection,
    QDBusMessage,
    QDBusObjectPath,
)

from recommender.library.tracks import Track

if TYPE_CHECKING:
    from player.workers.context import ViewContext

log = logging.getLogger(__name__)

SERVICE_NAME = "org.mpris.MediaPlayer2.tonearm"
OBJECT_PATH = "/org/mpris/MediaPlayer2"
ROOT_INTERFACE = "org.mpris.MediaPlayer2"
PLAYER_INTERFACE = "org.mpris.MediaPlayer2.Player"
NO_TRACK = "/org/mpris/MediaPlayer2/TrackList/NoTrack"
TRACK_PATH_PREFIX = "/org/tonearm/track/"
SEEK_JUMP_MS = 1500
"""A position step larger than this (or backwards) is a seek, announced with Seeked."""
SEEK_SETTLE_S = 2.0
"""After our own seek, position reports from before it landed are not a second seek."""
LOOP_STATUS = {"off": "None", "one": "Track", "all": "Playlist"}
"""The app's repeat modes as MPRIS LoopStatus values (and back)."""
MIME_TYPES = (
    "audio/mpeg", "audio/flac", "audio/x-flac", "audio/ogg", "audio/x-vorbis+ogg", "audio/opus",
    "audio/x-opus+ogg", "audio/wav", "audio/x-wav", "audio/mp4", "audio/aac", "audio/x-m4a",
)  # fmt: skip


def file_url(path: str) -> str:
    """A percent-encoded file:// URL (clients split on spaces and choke on raw bytes)."""
    return bytes(QUrl.fromLocalFile(path).toEncoded().data()).decode("ascii")


def track_object_path(track: Track | None) -> str:
    return f"{TRACK_PATH_PREFIX}{track.id}" if track is not None else NO_TRACK


def track_metadata(track: Track | None, art_url: str = "") -> dict[str, Any]:
    """The MPRIS Metadata map (xesam:artist is a list, mpris:length in microseconds)."""
    if track is None:
        return {"mpris:trackid": QDBusObjectPath(NO_TRACK)}
    meta: dict[str, Any] = {
        "mpris:trackid": QDBusObjectPath(track_object_path(track)),
        "xesam:title": track.display_title,
        "xesam:url": file_url(track.path),
    }
    if track.artist:
        meta["xesam:artist"] = [track.artist]
    if track.album:
        meta["xesam:album"] = track.album
    if track.albumartist:
        meta["xesam:albumArtist"] = [track.albumartist]
    if track.tracknumber:
        meta["xesam:trackNumber"] = int(track.tracknumber)
    if track.genre:
        meta["xesam:genre"] = [track.genre]
    if track.duration:
        meta["mpris:length"] = round(track.duration * 1_000_000)
    if art_url:
        meta["mpris:artUrl"] = art_url
    return meta


def cover_art_url(track: Track, cache_dir: Path) -> str:
    """A file:// URL for the track's cover: the embedded picture written to a cache file, else
    the image beside the track (the now-playing bar's order). Reads the disk: call it in a
    worker."""
    from recommender.library.cover_art import embedded_picture, folder_picture_paths

    data = embedded_picture(track.path)
    if not data:
        beside = folder_picture_paths(track.path)
        return file_url(beside[0]) if beside else ""
    ext = ".png" if data[:8] == b"\x89PNG\r\n\x1a\n" else ".jpg"
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / f"mpris-cover-{track.id}{ext}"
    for old in cache_dir.glob("mpris-cover-*"):
        if old != target:
            old.unlink(missing_ok=True)  # one cover at a time
    if not target.exists():
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)
    return file_url(str(target))


def session_bus(connection_name: str) -> QDBusConnection | None:
    """A private connection to the session bus in $DBUS_SESSION_BUS_ADDRESS (read now, so
    tests can point it at their own bus), else the usual per-user bus; None when there is none."""
    address = os.environ.get("DBUS_SESSION_BUS_ADDRESS", "")
    if not address:
        runtime = os.environ.get("XDG_RUNTIME_DIR", "")
        if not runtime or not os.path.exists(os.path.join(runtime, "bus")):
            return None  # never let libdbus try X11 autolaunch
        address = f"unix:path={os.path.join(runtime, 'bus')}"
    connection = QDBusConnection.connectToBus(address, connection_name)
    if not connection.isConnected():
        log.info("no D-Bus session bus at %s: %s", address, connection.lastError().message())
        QDBusConnection.disconnectFromBus(connection_name)
        return None
    return connection


@ClassInfo({"D-Bus Interface": ROOT_INTERFACE})
class RootAdaptor(QDBusAbstractAdaptor):
    """org.mpris.MediaPlayer2: who we are, Raise and Quit."""

    def __init__(self, service: MprisService) -> None:
        super().__init__(service)
        self.service = service

    @Slot()
    def Raise(self) -> None:
        self.service.raise_window()

    @Slot()
    def Quit(self) -> None:
        self.service.ctx.window.close()

    def _true(self) -> bool:
        return True

    def _false(self) -> bool:
        return False

    def _identity(self) -> str:
        return "Tonearm"

    def _desktop_entry(self) -> str:
        return "tonearm"

    def _schemes(self) -> list[str]:
        return ["file"]

    def _mime_types(self) -> list[str]:
        return list(MIME_TYPES)

    CanQuit = Property(bool, _true)
    CanRaise = Property(bool, _true)
    HasTrackList = Property(bool, _false)
    Identity = Property(str, _identity)
    DesktopEntry = Property(str, _desktop_entry)
    SupportedUriSchemes = Property("QStringList", _schemes)
    SupportedMimeTypes = Property("QStringList", _mime_types)


@ClassInfo({"D-Bus Interface": PLAYER_INTERFACE})
class PlayerAdaptor(QDBusAbstractAdaptor):
    """org.mpris.MediaPlayer2.Player: transport controls, position, volume, metadata."""

    Seeked = Signal("qlonglong")

    def __init__(self, service: MprisService) -> None:
        super().__init__(service)
        self.service = service

    @Slot()
    def PlayPause(self) -> None:
        if self.service.ctx.playback.is_playing():
            self.service.ctx.playback.toggle()
        else:
            self.service.play()

    @Slot()
    def Play(self) -> None:
        if not self.service.ctx.playback.is_playing():
            self.service.play()

    @Slot()
    def Pause(self) -> None:
        if self.service.ctx.playback.is_playing():
            self.service.ctx.playback.toggle()

    @Slot()
    def Stop(self) -> None:
        self.service.ctx.playback.stop()

    @Slot()
    def Next(self) -> None:
        self.service.ctx.next_track()

    @Slot()
    def Previous(self) -> None:
        self.service.ctx.previous_track()

    @Slot("qlonglong")
    def Seek(self, offset_us: int) -> None:
        self.service.seek_by(offset_us)

    @Slot(QDBusObjectPath, "qlonglong")
    def SetPosition(self, track_id: QDBusObjectPath, position_us: int) -> None:
        self.service.set_position(track_id.path(), position_us)

    @Slot(str)
    def OpenUri(self, uri: str) -> None:
        self.service.open_uri(uri)

    def _status(self) -> str:
        return self.service.playback_status()

    def _metadata(self) -> dict:
        return self.service.metadata()

    def _position(self) -> int:
        return self.service.ctx.playback.position_ms() * 1000

    def _volume(self) -> float:
        return float(self.service.ctx.settings.volume)

    def _set_volume(self, volume: float) -> None:
        self.service.set_volume(volume)

    def _rate(self) -> float:
        return 1.0

    def _set_rate(self, _rate: float) -> None:
        pass  # one speed only; the spec lets a player ignore this

    def _true(self) -> bool:
        return True

    def _can_seek(self) -> bool:
        return self.service.ctx.playback.track is not None

    def _loop_status(self) -> str:
        return self.service.state()["LoopStatus"]

    def _set_loop_status(self, value: str) -> None:
        self.service.set_loop_status(value)

    def _shuffle(self) -> bool:
        return self.service.state()["Shuffle"]

    def _set_shuffle(self, on: bool) -> None:
        self.service.ctx.set_shuffle(bool(on))

    def _can_go_next(self) -> bool:
        return self.service.state()["CanGoNext"]

    def _can_go_previous(self) -> bool:
        return self.service.state()["CanGoPrevious"]

    def _can_play(self) -> bool:
        return self.service.state()["CanPlay"]

    PlaybackStatus = Property(str, _status)
    LoopStatus = Property(str, _loop_status, _set_loop_status)
    Shuffle = Property(bool, _shuffle, _set_shuffle)
    Metadata = Property("QVariantMap", _metadata)
    Position = Property("qlonglong", _position)
    Volume = Property(float, _volume, _set_volume)
    Rate = Property(float, _rate, _set_rate)
    MinimumRate = Property(float, _rate)
    MaximumRate = Property(float, _rate)
    CanGoNext = Property(bool, _can_go_next)
    CanGoPrevious = Property(bool, _can_go_previous)
    CanPlay = Property(bool, _can_play)
    CanPause = Property(bool, _true)
    CanSeek = Property(bool, _can_seek)
    CanControl = Property(bool, _true)


class MprisService(QObject):
    """The object registered at /org/mpris/MediaPlayer2; follows `ctx.playback`."""

    def __init__(self, ctx: ViewContext, connection: QDBusConnection, name: str) -> None:
        super().__init__(ctx.window)
        self.ctx = ctx
        self.connection = connection
        self.connection_name = name
        self.service_name = ""
        self.root = RootAdaptor(self)
        self.player = PlayerAdaptor(self)
        self.cache_dir = ctx.data_dir / "cache"
        self._art_url = ""
        self._art_token = 0
        self._last_pos_ms = 0
        self._seek_target_ms: int | None = None
        self._seek_at = 0.0
        self._status = self.playback_status()
        self._state = self.state()
        playback = ctx.playback
        playback.trackChanged.connect(self._track_changed)
        playback.stateChanged.connect(self._state_changed)
        playback.positionChanged.connect(self._position_changed)
        ctx.order.listeners.append(self._refresh_state)  # repeat, shuffle, queue edits

    def register(self) -> bool:
        """Export the object and take the well-known name (another instance's if it is busy)."""
        if not self.connection.registerObject(OBJECT_PATH, self):
            log.warning("MPRIS: cannot register %s: %s", OBJECT_PATH, self._error())
            return False
        for name in (SERVICE_NAME, f"{SERVICE_NAME}.instance{os.getpid()}"):
            if self.connection.registerService(name):
                self.service_name = name
                return True
        log.warning("MPRIS: cannot take the bus name %s: %s", SERVICE_NAME, self._error())
        self.connection.unregisterObject(OBJECT_PATH)
        return False

    def close(self) -> None:
        """Leave the bus (app quitting, or a test's window closing)."""
        if self._refresh_state in self.ctx.order.listeners:
            self.ctx.order.listeners.remove(self._refresh_state)
        if not self.connection_name:
            return
        if self.service_name:
            self.connection.unregisterService(self.service_name)
        self.connection.unregisterObject(OBJECT_PATH)
        QDBusConnection.disconnectFromBus(self.connection_name)
        self.connection_name = ""

    def _error(self) -> str:
        return self.connection.lastError().message() or "unknown error"

    # --- state read by the adaptors -------------------------------------------------------
    def playback_status(self) -> str:
        playback = self.ctx.playback
        if playback.track is None:
            return "Stopped"
        return "Playing" if playback.is_playing() else "Paused"

    def metadata(self) -> dict[str, Any]:
        return track_metadata(self.ctx.playback.track, self._art_url)

    def state(self) -> dict[str, Any]:
        """Loop, shuffle and what the transport can do now, as the MPRIS properties say it.
        CanGoNext asks the play order what Next would play (repeat all wraps; repeat one does
        not hold a manual Next); CanPlay is false only when Play would have nothing to play."""
        order = self.ctx.order
        current = order.current()
        upcoming = order.peek_next(automatic=False)
        return {
            "LoopStatus": LOOP_STATUS.get(order.repeat, "None"),
            "Shuffle": bool(order.shuffle),
            "CanGoNext": upcoming is not None,
            "CanGoPrevious": bool(order.history) or (current is not None and current.index > 0),
            "CanPlay": self.ctx.playback.track is not None
            or current is not None
            or upcoming is not None,
        }

    # --- commands -------------------------------------------------------------------------
    def play(self) -> None:
        """Play; after Stop that restarts the current track, as the spec asks (with nothing
        loaded and no current track, it starts what comes next, as the app's button does)."""
        playback = self.ctx.playback
        choice = self.ctx.order.current()
        if playback.track is not None or choice is None:
            playback.toggle()
            return
        from recommender.core.errors import TonearmError
        from recommender.library.tracks import get_track

        try:
            track = get_track(self.ctx.store, choice.track_id)
        except TonearmError:
            playback.toggle()
            return
        context = "queue" if choice.source == "queue" else self.ctx.list_context()
        playback.play_track(track, context)

    def set_loop_status(self, value: str) -> None:
        modes = {status: mode for mode, status in LOOP_STATUS.items()}
        if value in modes:
            self.ctx.set_repeat(modes[value])

    def raise_window(self) -> None:
        self.ctx.window.show()
        self.ctx.window.raise_()
        self.ctx.window.activateWindow()

    def seek_by(self, offset_us: int) -> None:
        playback = self.ctx.playback
        track = playback.track
        if track is None:
            return
        target_ms = max(0, playback.position_ms() + offset_us // 1000)
        if track.duration and target_ms >= track.duration * 1000:
            self.ctx.next_track()  # the spec: seeking past the end acts like Next
            return
        self._seek(target_ms)

    def set_position(self, track_path: str, position_us: int) -> None:
        track = self.ctx.playback.track
        if track is None or track_path != track_object_path(track) or position_us < 0:
            return  # a stale request for an earlier track: the spec says ignore it
        if track.duration and position_us > track.duration * 1_000_000:
            return
        self._seek(position_us // 1000)

    def _seek(self, position_ms: int) -> None:
        # set before seeking: the player may report the new position from inside seek()
        self._seek_target_ms, self._seek_at = int(position_ms), time.monotonic()
        self.ctx.playback.seek(int(position_ms))
        self._last_pos_ms = int(position_ms)
        self.player.Seeked.emit(int(position_ms) * 1000)

    def set_volume(self, volume: float) -> None:
        volume = max(0.0, min(1.0, float(volume)))
        self.ctx.set_volume(volume)
        self._properties_changed({"Volume": volume})

    def open_uri(self, uri: str) -> None:
        from player.playback.play_files import absolute_paths, play_files

        url = QUrl(uri)
        if url.isLocalFile() or not url.scheme():
            play_files(self.ctx, absolute_paths([url.toLocalFile() or uri]))

    # --- playback events ------------------------------------------------------------------
    def _track_changed(self, track: Track | None) -> None:
        self._art_url = ""
        self._art_token += 1
        self._last_pos_ms = 0
        self._seek_target_ms = None
        self._properties_changed(
            {
                "Metadata": self.metadata(),
                "PlaybackStatus": self.playback_status(),
                "CanSeek": track is not None,
            }
        )
        self._refresh_state()
        if track is None:
            return
        token, cache_dir = self._art_token, self.cache_dir
        self.ctx.jobs.start(
            lambda _job: cover_art_url(track, cache_dir),
            on_done=lambda url: self._art_found(token, url),
        )

    def _art_found(self, token: int, url: str) -> None:
        if token == self._art_token and url:
            self._art_url = url
            self._properties_changed({"Metadata": self.metadata()})

    def _state_changed(self, _state: str) -> None:
        status = self.playback_status()
        if status != self._status:
            self._properties_changed({"PlaybackStatus": status})
        self._refresh_state()

    def _refresh_state(self) -> None:
        """Announce the loop, shuffle and Can* properties that changed since last time."""
        state = self.state()
        changed = {k: v for k, v in state.items() if self._state.get(k) != v}
        self._state = state
        if changed:
            self._properties_changed(changed)

    def _position_changed(self, position_ms: int, _duration_ms: int) -> None:
        if self._seek_target_ms is not None:
            # our own seek was announced already: wait for the report that shows it landed
            # (reports from before it would read as a jump back and a second Seeked)
            landed = abs(position_ms - self._seek_target_ms) <= SEEK_JUMP_MS
            if landed or time.monotonic() - self._seek_at > SEEK_SETTLE_S:
                self._seek_target_ms = None
                self._last_pos_ms = position_ms
            return
        step = position_ms - self._last_pos_ms
        self._last_pos_ms = position_ms
        if step < 0 or step > SEEK_JUMP_MS:
            self.player.Seeked.emit(int(position_ms) * 1000)

    def _properties_changed(self, changed: dict[str, Any]) -> None:
        if "PlaybackStatus" in changed:
            self._status = changed["PlaybackStatus"]
        if not self.connection_name:
            return
        invalidated = QDBusArgument()  # an empty list must still be typed "as"
        invalidated.beginArray(QMetaType(QMetaType.Type.QString))
        invalidated.endArray()
        message = QDBusMessage.createSignal(
            OBJECT_PATH, "org.freedesktop.DBus.Properties", "PropertiesChanged"
        )
        message.setArguments([PLAYER_INTERFACE, changed, invalidated])
        self.connection.send(message)


def install_mpris(ctx: ViewContext) -> MprisService | None:
    """Feature installer: export MPRIS when a session bus is there; otherwise log and go on."""
    if not sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return None
    name = f"tonearm-mpris-{id(ctx.window):x}"
    connection = session_bus(name)
    if connection is None:
        log.info("MPRIS is off: no D-Bus session bus")
        return None
    service = MprisService(ctx, connection, name)
    if not service.register():
        service.close()
        return None
    ctx.window.destroyed.connect(lambda *_: service.close())
    from PySide6.QtCore import QCoreApplication

    app = QCoreApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(service.close)
    return service
