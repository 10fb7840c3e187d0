"""One Tonearm window per user and data folder: a second `tonearm FILE...` hands its files over.

The first instance listens on a QLocalServer named after the user and the data folder; a later
start connects, sends one JSON line `{"files": [...absolute paths...]}`, waits for "ok" and
exits. A socket left behind by a crashed instance answers nobody and is removed. The running
window plays the files, scanning in (in a worker) those its library lacks.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_MS = 1000
REPLY_TIMEOUT_MS = 5000
WAIT_SLICE_MS = 20
MAX_MESSAGE_BYTES = 4_000_000
"""A message this long is not from Tonearm; drop the connection."""


def socket_name(data_dir: Path) -> str:
    """Per user and per data folder, short enough for a Unix socket path."""
    try:
        user = getpass.getuser()
    except Exception:  # no user name (containers without passwd entries)
        user = str(os.getuid()) if hasattr(os, "getuid") else "user"
    folder = os.path.normcase(os.path.realpath(os.path.abspath(data_dir)))
    digest = hashlib.sha1(f"{user}\0{folder}".encode("utf-8", "surrogateescape")).hexdigest()
    safe_user = "".join(c for c in user if c.isalnum())[:16] or "user"
    return f"tonearm-{safe_user}-{digest[:12]}"


def send_files(name: str, files: Sequence[str], timeout_ms: int = REPLY_TIMEOUT_MS) -> bool:
    """Hand `files` to the instance listening on `name`; False when none answers."""
    sock = QLocalSocket()
    sock.connectToServer(name)
    # Qt's blocking waits in short slices: PySide holds the GIL inside them, and a sender on a
    # thread of the receiving process (as in tests) must let the GUI thread answer.
    deadline = time.monotonic() + CONNECT_TIMEOUT_MS / 1000
    while not sock.waitForConnected(WAIT_SLICE_MS):
        if sock.state() == QLocalSocket.LocalSocketState.UnconnectedState:
            return False  # no server, or a stale socket that refuses
        if time.monotonic() > deadline:
            sock.abort()
            return False
    sock.write(json.dumps({"files": list(files)}).encode("utf-8", "surrogateescape") + b"\n")
    reply = b""
    deadline = time.monotonic() + timeout_ms / 1000
    while b"\n" not in reply and time.monotonic() < deadline:
        if sock.bytesToWrite():
            sock.waitForBytesWritten(WAIT_SLICE_MS)
        elif sock.waitForReadyRead(WAIT_SLICE_MS):
            reply += bytes(sock.readAll().data())
        elif sock.state() != QLocalSocket.LocalSocketState.ConnectedState:
            break
    sock.abort()
    return reply.strip() == b"ok"


class InstanceServer(QObject):
    """Listens for later starts; `filesReceived` carries each one's files (maybe none)."""

    filesReceived = Signal(list)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._accept)
        self._buffers: dict[QLocalSocket, bytes] = {}

    def listen(self) -> bool:
        """Claim the name; a stale socket (nobody answers on it) is removed first."""
        if self.server.listen(self.name):
            return True
        probe = QLocalSocket()
        probe.connectToServer(self.name)
        if probe.waitForConnected(CONNECT_TIMEOUT_MS):
            probe.abort()
            return False  # a live instance won the race
        log.info("removing the stale instance socket %s", self.name)
        QLocalServer.removeServer(self.name)
        return self.server.listen(self.name)

    def close(self) -> None:
        self.server.close()

    def _accept(self) -> None:
        while self.server.hasPendingConnections():
            sock = self.server.nextPendingConnection()
            self._buffers[sock] = b""
            sock.readyRead.connect(lambda s=sock: self._read(s))
            sock.disconnected.connect(lambda s=sock: self._forget(s))

    def _forget(self, sock: QLocalSocket) -> None:
        self._buffers.pop(sock, None)
        sock.deleteLater()

    def _read(self, sock: QLocalSocket) -> None:
        data = self._buffers.get(sock, b"") + bytes(sock.readAll().data())
        if b"\n" not in data:
            if len(data) > MAX_MESSAGE_BYTES:
                sock.abort()
            else:
                self._buffers[sock] = data
            return
        line = data.split(b"\n", 1)[0]
        try:
            files = json.loads(line.decode("utf-8", "surrogateescape"))["files"]
            files = [str(f) for f in files]
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("ignored a malformed message from another Tonearm start: %s", exc)
            sock.abort()
            return
        sock.write(b"ok\n")
        sock.flush()
        self.filesReceived.emit(files)


def hand_over(data_dir: Path, files: Sequence[str]) -> bool:
    """True when a running instance on `data_dir` took `files` (needs no QApplication)."""
    return send_files(socket_name(data_dir), files)


def claim(data_dir: Path, files: Sequence[str]) -> InstanceServer | None:
    """Listen as the first instance (after the QApplication exists); None when another start
    won the race and took `files` after all."""
    server = InstanceServer(socket_name(data_dir))
    if server.listen():
        return server
    if send_files(server.name, files):
        return None
    log.warning("cannot listen on %s: %s", server.name, server.server.errorString())
    return server
