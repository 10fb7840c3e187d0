"""The reference server against hostile clients: slow sockets, bad JSON, odd listens data.

Servers run in this process on 127.0.0.1 (uvicorn in a thread, with short limits), every test
bounded to a few seconds.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time

import httpx
import pytest

pytest.importorskip("fastapi")
uvicorn = pytest.importorskip("uvicorn")

from recommender.remote.protocol import MAX_TEXT_CHARS, parse_answer  # noqa: E402
from recommender.server import app as server_app  # noqa: E402
from recommender.server.connections import GuardedH11Protocol  # noqa: E402
from recommender.server.model import build_model_from_files  # noqa: E402
from tests.recommender.remote_fakes import free_port, write_listens  # noqa: E402

TOKEN = "hardening-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
HEADER_TIMEOUT_S = 1.0
MAX_WAITING = 4
LONG_TITLE = "Endless " * 300  # 2,400 characters: past the protocol's 300
ODD_TITLE = "Bell\x07 and\x1b[31m escape"


class QuickGuard(GuardedH11Protocol):
    header_timeout_s = HEADER_TIMEOUT_S
    max_waiting_per_client = MAX_WAITING


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("listens")
    path = folder / "listens.jsonl"
    write_listens(path, users=60)
    # Everyone who played "Seed Song" also played a title too long and one with control codes.
    with path.open("a", encoding="utf-8") as fh:
        for user in range(20):
            for title in ("Seed Song", LONG_TITLE, ODD_TITLE):
                line = {
                    "user_name": f"odd{user}",
                    "listened_at": 1_700_000_000,
                    "track_metadata": {"artist_name": "Odd Band", "track_name": title},
                }
                fh.write(json.dumps(line) + "\n")
    return build_model_from_files([path])


@pytest.fixture(scope="module")
def url(model):
    app = server_app.create_app(model, token=TOKEN, loopback_only=False)
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, http=QuickGuard, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def _slow_socket(url: str, first: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", _port(url)), timeout=5)
    sock.sendall(first)
    return sock


def _closed_within(sock: socket.socket, limit_s: float, trickle: bytes = b"") -> tuple[bool, bytes]:
    """Keep sending `trickle` a byte at a time; (server closed it in time, what it answered)."""
    got = b""
    deadline = time.monotonic() + limit_s
    sock.settimeout(0.2)
    i = 0
    while time.monotonic() < deadline:
        try:
            if trickle:
                sock.sendall(trickle[i % len(trickle) : i % len(trickle) + 1])
                i += 1
            chunk = sock.recv(4096)
            if not chunk:
                return True, got
            got += chunk
        except TimeoutError:
            continue
        except (BrokenPipeError, ConnectionResetError):
            return True, got
    return False, got


def test_headers_sent_a_byte_at_a_time_are_cut_off_at_the_header_deadline(url):
    sock = _slow_socket(url, b"GET /health HTTP/1.1\r\nHost: x\r\n")
    started = time.monotonic()
    with sock:
        closed, answer = _closed_within(sock, HEADER_TIMEOUT_S + 3, trickle=b"X-Slow: aaaa\r\n")
    assert closed, "the server kept a trickling connection past its header deadline"
    assert time.monotonic() - started < HEADER_TIMEOUT_S + 2
    assert answer.startswith(b"HTTP/1.1 408")


def test_health_keeps_answering_while_one_client_holds_many_slow_connections(url):
    slow = [_slow_socket(url, b"POST /music/recommend HTTP/1.1\r\n") for _ in range(40)]
    try:
        for _ in range(5):
            started = time.monotonic()
            response = httpx.get(url + "/health", timeout=2.0, trust_env=False)
            assert response.status_code == 200
            assert time.monotonic() - started < 1.0
        dropped = 0
        for sock in slow:
            sock.settimeout(0.05)
            with contextlib.suppress(TimeoutError):
                dropped += sock.recv(4096).startswith(b"HTTP/1.1 408")
        assert dropped >= len(slow) - MAX_WAITING  # the client's oldest slow sockets went first
    finally:
        for sock in slow:
            sock.close()


def test_body_sent_a_byte_at_a_time_gets_408(url, monkeypatch):
    monkeypatch.setattr(server_app, "BODY_TIMEOUT_S", 1.0)
    head = (
        "POST /music/recommend HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {TOKEN}\r\nContent-Length: 400\r\n\r\n"
    )
    sock = _slow_socket(url, head.encode())
    with sock:
        closed, answer = _closed_within(sock, 4.0, trickle=b" ")
    assert closed
    assert answer.startswith(b"HTTP/1.1 408"), answer[:100]
    assert b"did not arrive within 1 s" in answer


BAD_BODIES = {
    "NaN": (b'{"protocol": 1, "k": NaN}', "body.k: NaN"),
    "Infinity": (b'{"protocol": 1, "seeds": [{"artist": "a", "title": Infinity}]}', "title"),
    "-Infinity": (b'{"protocol": -Infinity}', "body.protocol"),
    "huge number": (b'{"protocol": 1e999}', "body.protocol"),
    "lone surrogate": (
        b'{"protocol": 1, "seeds": [{"artist": "a", "title": "x\\ud800"}]}',
        "body.seeds[0].title",
    ),
    "not UTF-8": (b'{"protocol": 1, "seeds": [{"artist": "\xff", "title": "x"}]}', "UTF-8"),
    "not JSON": (b"{protocol: 1", "not valid JSON"),
    "protocol as text": (b'{"protocol": "1"}', "protocol"),
    "protocol as true": (b'{"protocol": true}', "protocol"),
    "k as true": (b'{"protocol": 1, "k": true}', "k"),
    "control character": (
        b'{"protocol": 1, "seeds": [{"artist": "a\\u0007", "title": "x"}]}',
        "artist",
    ),
    "title too long": (
        json.dumps({"protocol": 1, "seeds": [{"artist": "a", "title": "x" * 301}]}).encode(),
        "title",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_every_bad_request_gets_a_4xx_naming_the_field(url, case):
    body, named = BAD_BODIES[case]
    response = httpx.post(
        url + "/music/recommend",
        content=body,
        headers={**AUTH, "Content-Type": "application/json"},
        timeout=5,
        trust_env=False,
    )
    assert 400 <= response.status_code < 500, response.text
    assert named in response.text
    assert "Traceback" not in response.text


def test_answers_clean_long_titles_and_control_characters_and_validate(url):
    request = {"protocol": 1, "k": 20, "seeds": [{"artist": "Odd Band", "title": "Seed Song"}]}
    response = httpx.post(
        url + "/music/recommend", json=request, headers=AUTH, timeout=5, trust_env=False
    )
    assert response.status_code == 200
    answer = parse_answer(response.json(), k=20)  # the client's own check
    titles = {item.title for item in answer.items if item.artist == "Odd Band"}
    assert "Bell and [31m escape" in titles
    assert any(t.startswith("Endless Endless") and len(t) <= MAX_TEXT_CHARS for t in titles)
