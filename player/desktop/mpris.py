"""MPRIS2 on the D-Bus session bus, so desktop media controls, keys and widgets drive Tonearm.

The bus is spoken with jeepney (pure Python, sans-I/O): its socket is watched by a
QSocketNotifier on the GUI thread, each method call is answered there, and every value is
marshalled by its declared D-Bus signature. QtDBus cannot do the last part from Python: PySide6
turns an int under 2**31 inside a QVariantMap into an int32, so `mpris:length` went out with the
wrong type. No Python code runs on a Qt worker thread and no thread of our own is started.
Without a session bus (a bare container, Windows, macOS) this logs one line and the player
carries on.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QSocketNotifier, QTimer, QUrl

try:  # Linux and the BSDs only (pyproject's marker); elsewhere MPRIS is simply off
    from jeepney import (
        DBusAddress,
        HeaderFields,
        Message,
        MessageFlag,
        MessageType,
        new_error,
        new_method_return,
        new_signal,
    )
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import DBusConnection, open_dbus_connection
except ImportError:  # pragma: no cover - platform without jeepney
    DBusConnection = None  # type: ignore[assignment,misc]

from recommender.core import datadir
from recommender.core.resource_paths import APP_ID
from recommender.library.tracks import Track

if TYPE_CHECKING:
    from player.workers.context import ViewContext

log = logging.getLogger(__name__)

SERVICE_NAME = "org.mpris.MediaPlayer2.tonearm"
OBJECT_PATH = "/org/mpris/MediaPlayer2"
ROOT_INTERFACE = "org.mpris.MediaPlayer2"
PLAYER_INTERFACE = "org.mpris.MediaPlayer2.Player"
PROPERTIES_INTERFACE = "org.freedesktop.DBus.Properties"
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


def track_metadata(track: Track | None, art_url: str = "") -> dict[str, tuple[str, Any]]:
    """The MPRIS Metadata map as D-Bus variants, (signature, value): xesam:artist is a list of
    strings, mpris:length an int64 in microseconds."""
    if track is None:
        return {"mpris:trackid": ("o", NO_TRACK)}
    meta: dict[str, tuple[str, Any]] = {
        "mpris:trackid": ("o", track_object_path(track)),
        "xesam:title": ("s", track.display_title),
        "xesam:url": ("s", file_url(track.path)),
    }
    if track.artist:
        meta["xesam:artist"] = ("as", [track.artist])
    if track.album:
        meta["xesam:album"] = ("s", track.album)
    if track.albumartist:
        meta["xesam:albumArtist"] = ("as", [track.albumartist])
    if track.tracknumber:
        meta["xesam:trackNumber"] = ("i", int(track.tracknumber))
    if track.genre:
        meta["xesam:genre"] = ("as", [track.genre])
    if track.duration:
        meta["mpris:length"] = ("x", round(track.duration * 1_000_000))
    if art_url:
        meta["mpris:artUrl"] = ("s", art_url)
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
    target = cache_dir / f"{datadir.COVER_PREFIX}{track.id}{ext}"
    for old in cache_dir.glob(datadir.COVER_PREFIX + "*"):
        if old != target:
            old.unlink(missing_ok=True)  # one cover at a time
    if not target.exists():
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)
    return file_url(str(target))


def session_bus_address() -> str:
    """$DBUS_SESSION_BUS_ADDRESS (read now, so tests can point it at their own bus), else the
    usual per-user bus; "" when there is none (never try X11 autolaunch)."""
    address = os.environ.get("DBUS_SESSION_BUS_ADDRESS", "")
    if address:
        return address
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if runtime and os.path.exists(os.path.join(runtime, "bus")):
        return f"unix:path={os.path.join(runtime, 'bus')}"
    return ""


class BusError(Exception):
    """A D-Bus error reply: its name and message go back to the caller."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


def _unknown(what: str) -> BusError:
    return BusError("org.freedesktop.DBus.Error.UnknownMethod", what)


INTROSPECTION = """<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
<node>
 <interface name="org.freedesktop.DBus.Introspectable">
  <method name="Introspect"><arg name="xml" type="s" direction="out"/></method>
 </interface>
 <interface name="org.freedesktop.DBus.Peer">
  <method name="Ping"/>
 </interface>
 <interface name="org.freedesktop.DBus.Properties">
  <method name="Get"><arg type="s" direction="in"/><arg type="s" direction="in"/>
   <arg type="v" direction="out"/></method>
  <method name="GetAll"><arg type="s" direction="in"/><arg type="a{sv}" direction="out"/></method>
  <method name="Set"><arg type="s" direction="in"/><arg type="s" direction="in"/>
   <arg type="v" direction="in"/></method>
  <signal name="PropertiesChanged"><arg type="s"/><arg type="a{sv}"/><arg type="as"/></signal>
 </interface>
 <interface name="org.mpris.MediaPlayer2">
  <method name="Raise"/><method name="Quit"/>
@ROOT_PROPERTIES@ </interface>
 <interface name="org.mpris.MediaPlayer2.Player">
  <method name="Next"/><method name="Previous"/><method name="Pause"/>
  <method name="PlayPause"/><method name="Stop"/><method name="Play"/>
  <method name="Seek"><arg name="Offset" type="x" direction="in"/></method>
  <method name="SetPosition"><arg name="TrackId" type="o" direction="in"/>
   <arg name="Position" type="x" direction="in"/></method>
  <method name="OpenUri"><arg name="Uri" type="s" direction="in"/></method>
  <signal name="Seeked"><arg name="Position" type="x"/></signal>
@PLAYER_PROPERTIES@ </interface>
</node>
"""
"""Introspection XML; the @...@ marks take the <property> lines of the property table."""


@dataclass(frozen=True)
class _Property:
    """One D-Bus property: its signature, how to read it and (if writable) how to write it."""

    signature: str
    read: Callable[[], Any]
    write: Callable[[Any], None] | None = None


class MprisService(QObject):
    """The object at /org/mpris/MediaPlayer2 on our own bus connection; follows `ctx.playback`."""

    def __init__(self, ctx: ViewContext, connection: DBusConnection) -> None:
        super().__init__(ctx.window)
        self.ctx = ctx
        self.connection: DBusConnection | None = connection
        self.service_name = ""
        self.cache_dir = datadir.cache_dir(ctx.data_dir)
        self._art_url = ""
        self._art_token = 0
        self._last_pos_ms = 0
        self._seek_target_ms: int | None = None
        self._seek_at = 0.0
        self._status = self.playback_status()
        self._state = self.state()
        self._properties = self._property_table()
        self._notifier: QSocketNotifier | None = None
        playback = ctx.playback
        playback.trackChanged.connect(self._track_changed)
        playback.stateChanged.connect(self._state_changed)
        playback.positionChanged.connect(self._position_changed)
        ctx.order.listeners.append(self._refresh_state)  # repeat, shuffle, queue edits

    def _property_table(self) -> dict[str, dict[str, _Property]]:
        ctx = self.ctx
        playback = ctx.playback

        def const(signature: str, value: Any) -> _Property:
            return _Property(signature, lambda: value)

        def state(name: str, signature: str = "b") -> _Property:
            return _Property(signature, lambda: self.state()[name])

        return {
            ROOT_INTERFACE: {
                "CanQuit": const("b", True),
                "CanRaise": const("b", True),
                "HasTrackList": const("b", False),
                "Identity": const("s", "Tonearm"),
                "DesktopEntry": const("s", APP_ID),  # the .desktop file's name
                "SupportedUriSchemes": const("as", ["file"]),
                "SupportedMimeTypes": const("as", list(MIME_TYPES)),
            },
            PLAYER_INTERFACE: {
                "PlaybackStatus": _Property("s", self.playback_status),
                "LoopStatus": _Property(
                    "s", lambda: self.state()["LoopStatus"], self.set_loop_status
                ),
                "Shuffle": _Property("b", lambda: self.state()["Shuffle"], self._set_shuffle),
                "Metadata": _Property("a{sv}", self.metadata),
                "Position": _Property("x", lambda: playback.position_ms() * 1000),
                "Volume": _Property("d", lambda: float(ctx.settings.volume), self.set_volume),
                # one speed only; the spec lets a player ignore a new rate
                "Rate": _Property("d", lambda: 1.0, lambda _rate: None),
                "MinimumRate": const("d", 1.0),
                "MaximumRate": const("d", 1.0),
                "CanGoNext": state("CanGoNext"),
                "CanGoPrevious": state("CanGoPrevious"),
                "CanPlay": state("CanPlay"),
                "CanPause": const("b", True),
                "CanSeek": _Property("b", lambda: playback.track is not None),
                "CanControl": const("b", True),
            },
        }

    def register(self) -> bool:
        """Take the well-known name (another instance's if it is busy) and start answering."""
        assert self.connection is not None
        for name in (SERVICE_NAME, f"{SERVICE_NAME}.instance{os.getpid()}"):
            try:
                reply = self.connection.send_and_get_reply(
                    message_bus.RequestName(name, 4),
                    timeout=2.0,  # 4: do not queue
                )
            except (OSError, TimeoutError) as exc:
                log.warning("MPRIS: cannot ask for the bus name %s: %s", name, exc)
                return False
            if reply.header.message_type == MessageType.error:
                log.warning("MPRIS: the bus refused the name %s: %s", name, reply.body)
                continue
            if reply.body[0] in (1, 4):  # primary owner, or already the owner
                self.service_name = name
                break
        if not self.service_name:
            log.warning("MPRIS: cannot take the bus name %s", SERVICE_NAME)
            return False
        self._notifier = QSocketNotifier(
            self.connection.sock.fileno(), QSocketNotifier.Type.Read, self
        )
        self._notifier.activated.connect(self._readable)
        QTimer.singleShot(0, self._dispatch_buffered)  # what arrived beside the name's reply
        return True

    def close(self) -> None:
        """Leave the bus (app quitting, or a test's window closing)."""
        if self._refresh_state in self.ctx.order.listeners:
            self.ctx.order.listeners.remove(self._refresh_state)
        if self._notifier is not None:
            self._notifier.setEnabled(False)
            self._notifier = None
        if self.connection is not None:
            self.connection.close()  # the bus releases our names with the connection
            self.connection = None

    # --- the wire -------------------------------------------------------------------------
    def _readable(self, *_args: Any) -> None:
        connection = self.connection
        if connection is None:
            return
        try:
            data = connection.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError as exc:
            log.info("MPRIS: the session bus went away: %s", exc)
            self.close()
            return
        if not data:
            log.info("MPRIS: the session bus closed the connection")
            self.close()
            return
        connection.parser.add_data(data)
        self._dispatch_buffered()

    def _dispatch_buffered(self) -> None:
        while self.connection is not None:
            message = self.connection.parser.get_next_message()
            if message is None:
                return
            if message.header.message_type == MessageType.method_call:
                self._answer(message)

    def _send(self, message: Message) -> None:
        if self.connection is None:
            return
        try:
            self.connection.send(message)
        except OSError as exc:
            log.info("MPRIS: cannot write to the session bus: %s", exc)
            self.close()

    def _answer(self, call: Message) -> None:
        fields = call.header.fields
        interface = fields.get(HeaderFields.interface, "")
        member = fields.get(HeaderFields.member, "")
        try:
            if fields.get(HeaderFields.path) != OBJECT_PATH:
                raise BusError(
                    "org.freedesktop.DBus.Error.UnknownObject",
                    f"no object at {fields.get(HeaderFields.path)}",
                )
            signature, body = self._call(interface, member, tuple(call.body))
            reply = new_method_return(call, signature, body)
        except BusError as exc:
            reply = new_error(call, exc.name, "s", (str(exc),))
        except Exception as exc:  # a bug of ours must not leave the caller waiting
            log.exception("MPRIS: %s.%s failed", interface, member)
            reply = new_error(call, "org.freedesktop.DBus.Error.Failed", "s", (str(exc),))
        if not call.header.flags & MessageFlag.no_reply_expected:
            self._send(reply)

    def _call(self, interface: str, member: str, args: tuple) -> tuple[str | None, tuple]:
        """Run one method call; the reply's signature and body."""
        if interface == PROPERTIES_INTERFACE:
            return self._properties_call(member, args)
        if interface in ("org.freedesktop.DBus.Introspectable", "") and member == "Introspect":
            return "s", (self._introspection(),)
        if interface in ("org.freedesktop.DBus.Peer", "") and member == "Ping":
            return None, ()
        methods: dict[str, Callable[..., None]] = {}
        if interface in (ROOT_INTERFACE, ""):
            methods.update(Raise=self.raise_window, Quit=self.ctx.window.close)
        if interface in (PLAYER_INTERFACE, ""):
            methods.update(
                PlayPause=self.play_pause, Play=self.play_if_paused, Pause=self.pause,
                Stop=self.ctx.playback.stop, Next=self.ctx.next_track,
                Previous=self.ctx.previous_track, Seek=self.seek_by,
                SetPosition=self.set_position, OpenUri=self.open_uri,
            )  # fmt: skip
        if member not in methods:
            raise _unknown(f"no method {member} on {interface or 'this object'}")
        try:
            methods[member](*args)
        except TypeError as exc:
            raise BusError("org.freedesktop.DBus.Error.InvalidArgs", str(exc)) from exc
        return None, ()

    def _introspection(self) -> str:
        def lines(interface: str) -> str:
            return "".join(
                f'  <property name="{name}" type="{p.signature}" '
                f'access="{"read" if p.write is None else "readwrite"}"/>\n'
                for name, p in self._properties[interface].items()
            )

        return INTROSPECTION.replace("@ROOT_PROPERTIES@", lines(ROOT_INTERFACE)).replace(
            "@PLAYER_PROPERTIES@", lines(PLAYER_INTERFACE)
        )

    def _properties_call(self, member: str, args: tuple) -> tuple[str | None, tuple]:
        if member == "GetAll":
            table = self._properties.get(str(args[0]) if args else "", {})
            return "a{sv}", ({name: (p.signature, p.read()) for name, p in table.items()},)
        if member not in ("Get", "Set") or len(args) < 2:
            raise _unknown(f"no method {member} on {PROPERTIES_INTERFACE}")
        interface, name = str(args[0]), str(args[1])
        prop = self._properties.get(interface, {}).get(name)
        if prop is None:
            raise BusError("org.freedesktop.DBus.Error.UnknownProperty", f"no property {name}")
        if member == "Get":
            return "v", ((prop.signature, prop.read()),)
        if prop.write is None or len(args) < 3:
            raise BusError("org.freedesktop.DBus.Error.PropertyReadOnly", f"{name} is read-only")
        signature, value = args[2]
        if signature != prop.signature:
            raise BusError(
                "org.freedesktop.DBus.Error.InvalidArgs",
                f"{name} takes {prop.signature}, not {signature}",
            )
        prop.write(value)
        return None, ()

    # --- state read by the properties -------------------------------------------------------
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
    def play_pause(self) -> None:
        if self.ctx.playback.is_playing():
            self.ctx.playback.toggle()
        else:
            self.play()

    def play_if_paused(self) -> None:
        if not self.ctx.playback.is_playing():
            self.play()

    def pause(self) -> None:
        if self.ctx.playback.is_playing():
            self.ctx.playback.toggle()

    def _set_shuffle(self, on: bool) -> None:
        self.ctx.set_shuffle(bool(on))

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
        self._seeked(int(position_ms))

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
            self._seeked(int(position_ms))

    def _seeked(self, position_ms: int) -> None:
        player = DBusAddress(OBJECT_PATH, interface=PLAYER_INTERFACE)
        self._send(new_signal(player, "Seeked", "x", (position_ms * 1000,)))

    def _properties_changed(self, changed: dict[str, Any]) -> None:
        """PropertiesChanged for these Player properties, each with its declared signature."""
        if "PlaybackStatus" in changed:
            self._status = changed["PlaybackStatus"]
        if self.connection is None:
            return
        table = self._properties[PLAYER_INTERFACE]
        values = {name: (table[name].signature, value) for name, value in changed.items()}
        emitter = DBusAddress(OBJECT_PATH, interface=PROPERTIES_INTERFACE)
        body = (PLAYER_INTERFACE, values, [])
        self._send(new_signal(emitter, "PropertiesChanged", "sa{sv}as", body))


def _connect(address: str) -> DBusConnection | None:
    """Our own connection to the bus at `address` (authenticated, named); None if it fails."""
    try:
        connection = open_dbus_connection(address, auth_timeout=2.0)
    except (OSError, RuntimeError, ValueError, KeyError, TimeoutError) as exc:
        log.info("no D-Bus session bus at %s: %s", address, exc)
        return None
    connection.sock.settimeout(2.0)  # a write never waits long; reads wait for the notifier
    return connection


def install_mpris(ctx: ViewContext) -> MprisService | None:
    """Feature installer: export MPRIS when a session bus is there; otherwise log and go on."""
    if DBusConnection is None or not sys.platform.startswith(
        ("linux", "freebsd", "openbsd", "netbsd")
    ):
        return None
    address = session_bus_address()
    connection = _connect(address) if address else None
    if connection is None:
        log.info("MPRIS is off: no D-Bus session bus")
        return None
    service = MprisService(ctx, connection)
    if not service.register():
        service.close()
        return None
    ctx.window.destroyed.connect(lambda *_: service.close())
    from PySide6.QtCore import QCoreApplication

    app = QCoreApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(service.close)
    return service
