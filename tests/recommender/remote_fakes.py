"""Test doubles for the remote service: a library to match against, and misbehaving servers.

Every server here binds 127.0.0.1 on a port the OS picks, and stops when the test ends.
"""

from __future__ import annotations

import json
import os
import random
import socket
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from recommender.discovery.recommendation import Recommendation
from recommender.library.store import Store
from recommender.library.tracks import get_track

REPO_ROOT = Path(__file__).resolve().parents[2]


# --- a small library ----------------------------------------------------------------------------


def add_track(
    store: Store,
    artist: str,
    title: str,
    *,
    genre: str | None = None,
    mbid: str | None = None,
    path: str | None = None,
    guessed: str = "",
) -> int:
    now = time.time()
    cur = store.conn.execute(
        "INSERT INTO tracks(path, size, mtime, title, artist, genre, mb_recording_id, guessed, "
        "duration, added_at, updated_at) VALUES (?, 1000, ?, ?, ?, ?, ?, ?, 200, ?, ?)",
        (
            path or f"/home/alice/Music/{artist}/{title}.flac",
            now,
            title,
            artist,
            genre,
            mbid,
            guessed,
            now,
            now,
        ),
    )
    return int(cur.lastrowid)


def add_plays(store: Store, track_id: int, count: int, *, at: float | None = None) -> None:
    at = time.time() - 3600 if at is None else at
    for i in range(count):
        store.conn.execute(
            "INSERT INTO plays(track_id, started_at, seconds_played, completed, skipped) "
            "VALUES (?, ?, 200, 1, 0)",
            (track_id, at + i),
        )


def local_recommender(calls: list[int] | None = None) -> Callable[..., list[Recommendation]]:
    """A stand-in local engine: every track, in id order, marked as local."""

    def recommend(store: Store, n: int = 20) -> list[Recommendation]:
        if calls is not None:
            calls.append(n)
        ids = [r[0] for r in store.conn.execute("SELECT id FROM tracks ORDER BY id LIMIT ?", (n,))]
        return [
            Recommendation(score=1.0 / (i + 1), reasons=("local pick",), track=get_track(store, t))
            for i, t in enumerate(ids)
        ]

    return recommend


# --- listens for the reference server -----------------------------------------------------------


def write_listens(path: Path, *, users: int = 200, clusters: int = 5, songs: int = 40) -> None:
    """Users who mostly play one cluster of songs: item-item CF should find the clusters."""
    rng = random.Random(7)
    with path.open("w", encoding="utf-8") as fh:
        for user in range(users):
            home = user % clusters
            for n in range(30):
                cluster = home if rng.random() < 0.85 else rng.randrange(clusters)
                song = rng.randrange(songs)
                line = {
                    "user_name": f"user{user}",
                    "listened_at": 1_700_000_000 + n,
                    "track_metadata": {
                        "artist_name": f"Artist {cluster}-{song % 8}",
                        "track_name": f"Song {cluster}-{song}",
                        "additional_info": {"tags": [f"genre{cluster}"]},
                    },
                }
                fh.write(json.dumps(line) + "\n")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """`tonearm serve` in a subprocess on loopback; `stop()` kills it.

    `source` is a listens file (built in-process first) or, with `model=True`, a model file."""

    def __init__(
        self,
        source: Path,
        *,
        token: str | None = None,
        workers: int = 1,
        model: bool = False,
        extra: tuple[str, ...] = (),
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [
            sys.executable,
            "-m",
            "recommender",
            "serve",
            "--model" if model else "--listens",
            str(source),
            *extra,
            "--port",
            str(self.port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ]
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
        env.pop("TONEARM_SERVER_TOKEN", None)
        if token:
            env["TONEARM_SERVER_TOKEN"] = token  # never on the command line (it shows in ps)
        self.proc = subprocess.Popen(
            cmd, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        self._wait_ready()

    def _wait_ready(self, limit_s: float = 30.0) -> None:
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.proc.stderr.read().decode()}")
            try:
                if httpx.get(self.url + "/health", timeout=0.5, trust_env=False).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("server did not start in time")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# --- misbehaving servers of our own making -------------------------------------------------------

Behaviour = Callable[[socket.socket, bytes, threading.Event], None]


def _read_request(sock: socket.socket) -> bytes:
    """Headers and a Content-Length body, as raw bytes."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


class FakeServer:
    """A raw TCP server on loopback answering each request with `behaviour(sock, request)`."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.requests: list[bytes] = []
        self.connections = 0
        self.stopping = threading.Event()
        fake = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                fake.connections += 1
                self.request.settimeout(5)
                try:
                    raw = _read_request(self.request)
                    if not raw:
                        return
                    fake.requests.append(raw)
                    behaviour(self.request, raw, fake.stopping)
                except OSError:
                    pass

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()


def respond(
    status: int = 200,
    body: bytes = b"",
    *,
    content_type: str = "application/json",
    extra: tuple[tuple[str, str], ...] = (),
) -> Behaviour:
    def behaviour(sock: socket.socket, _raw: bytes, _stop: threading.Event) -> None:
        head = [
            f"HTTP/1.1 {status} X",
            f"Content-Type: {content_type}",
            f"Content-Length: {len(body)}",
            "Connection: close",
        ]
        head += [f"{k}: {v}" for k, v in extra]
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)

    return behaviour


def valid_answer(items: list[dict] | None = None) -> bytes:
    return json.dumps(
        {"protocol": 1, "model": {"name": "fake", "version": "1"}, "items": items or []}
    ).encode()


def hang(sock: socket.socket, _raw: bytes, stopping: threading.Event) -> None:
    """Read the request, then never answer."""
    stopping.wait(10)


def endless_body(sock: socket.socket, _raw: bytes, stopping: threading.Event) -> None:
    """A 200 whose body never ends (bounded at 64 MiB in case nobody stops reading)."""
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n")
    chunk = b'{"protocol":1,"items":[' + b'{"artist":"a","title":"b","score":1},' * 2000
    sent = 0
    while not stopping.is_set() and sent < 64 * 1024 * 1024:
        sock.sendall(chunk)
        sent += len(chunk)


def drip(sock: socket.socket, _raw: bytes, stopping: threading.Event) -> None:
    """A 200 whose body arrives one byte every 0.1 s: each read is quick, the whole never ends."""
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n")
    for _ in range(200):
        if stopping.wait(0.1):
            return
        sock.sendall(b" ")


def header_drip(sock: socket.socket, _raw: bytes, stopping: threading.Event) -> None:
    """Headers that arrive one byte every 0.1 s (for 20 s): no single read ever times out."""
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Padding: " + b"a" * 200
    for byte in head:
        if stopping.wait(0.1):
            return
        sock.sendall(bytes([byte]))


def slow_busy(sock: socket.socket, _raw: bytes, stopping: threading.Event) -> None:
    """A 503 (worth retrying) after 0.4 s, every time: retries must stay inside the deadline."""
    if stopping.wait(0.4):
        return
    respond(503, b"{}")(sock, _raw, stopping)
