"""The remote client against misbehaving servers of our own making: every failure ends locally."""

from __future__ import annotations

import json
import logging
import socket
import time

import pytest

from recommender.core.errors import RemoteError, UsageError
from recommender.core.settings import Settings
from recommender.discovery.recommendation import SOURCE_LOCAL, SOURCE_REMOTE
from recommender.library.store import open_store
from recommender.remote.client import CircuitBreaker, RemoteClient, build_request
from recommender.remote.fallback import recommend_with_fallback
from recommender.remote.settings import enable_remote
from tests.recommender.remote_fakes import (
    FakeServer,
    add_plays,
    add_track,
    drip,
    endless_body,
    hang,
    header_drip,
    local_recommender,
    respond,
    slow_busy,
    valid_answer,
)

TOTAL_S = 1.0
SLACK_S = 0.8
MBID = "0f0e0d0c-0b0a-4900-8000-000000000001"


@pytest.fixture
def store(tmp_path):
    store = open_store(tmp_path)
    ids = [add_track(store, f"Band {i}", f"Tune {i}", genre="Jazz") for i in range(6)]
    add_track(store, "Known", "By Id", mbid=MBID)
    for track_id in ids[:3]:
        add_plays(store, track_id, 2)
    yield store
    store.close()


@pytest.fixture
def client():
    with RemoteClient(connect_timeout_s=0.5, total_timeout_s=TOTAL_S, backoff_s=0.05) as c:
        yield c


@pytest.fixture
def servers():
    started: list[FakeServer] = []
    yield started
    for server in started:
        server.stop()


def _settings(url: str) -> Settings:
    settings = Settings()
    enable_remote(settings, url)
    return settings


def _ask(store, url, client, **kwargs):
    started = time.monotonic()
    outcome = recommend_with_fallback(
        store,
        _settings(url),
        5,
        local_fn=local_recommender(),
        client=client,
        breaker=CircuitBreaker(None),
        token="secret-token",
        **kwargs,
    )
    return outcome, time.monotonic() - started


BAD_ANSWERS = {
    "500": respond(500, b'{"detail":"boom"}'),
    "malformed json": respond(200, b'{"protocol": 1, "items": [}'),
    "wrong schema": respond(
        200,
        b'{"protocol":1,"model":{"name":"m","version":"1"},'
        b'"items":[{"artist":3,"title":"x","score":"high"}]}',
    ),
    "wrong protocol": respond(
        200,
        json.dumps({"protocol": 2, "model": {"name": "m", "version": "1"}, "items": []}).encode(),
    ),
    "not json content": respond(200, b"<html>hi</html>", content_type="text/html"),
    "redirect to another host": respond(
        302, b"", extra=(("Location", "http://evil.example/music/recommend"),)
    ),
    "gzip answer": respond(200, b"\x1f\x8b", extra=(("Content-Encoding", "gzip"),)),
    "hang": hang,
    "slow drip": drip,
    "headers a byte at a time": header_drip,
    "busy after a pause, every try": slow_busy,
    "endless body": endless_body,
    "NaN score": respond(
        200, valid_answer([{"artist": "a", "title": "b", "score": 1}]).replace(b"1}]", b"NaN}]")
    ),
    "too many items": respond(
        200,
        valid_answer(
            [{"artist": "a", "title": f"t{i}", "score": 1.0, "reason": ""} for i in range(500)]
        ),
    ),
}
EXPECTED_REASON = {
    "500": "HTTP 500",
    "malformed json": "malformed JSON",
    "wrong schema": "outside the protocol",
    "wrong protocol": "protocol 2",
    "not json content": "not JSON",
    "redirect to another host": "evil.example",
    "gzip answer": "compressed",
    "hang": "in time",
    "slow drip": "did not finish its answer in time",
    "headers a byte at a time": "did not answer in time",
    "busy after a pause, every try": "tries",
    "endless body": "stopped reading",
    "NaN score": "malformed JSON",
    "too many items": "items",
}


@pytest.mark.parametrize("case", sorted(BAD_ANSWERS))
def test_misbehaving_server_ends_in_local_answer_with_logged_reason(
    case, store, client, servers, caplog
):
    server = FakeServer(BAD_ANSWERS[case])
    servers.append(server)
    with caplog.at_level(logging.WARNING, logger="recommender.remote.fallback"):
        outcome, elapsed = _ask(store, server.url, client)
    assert outcome.source == SOURCE_LOCAL
    assert outcome.recommendations and all(
        r.reasons == ("local pick",) for r in outcome.recommendations
    )
    assert EXPECTED_REASON[case] in outcome.reason
    assert any(EXPECTED_REASON[case] in rec.getMessage() for rec in caplog.records)
    assert elapsed < TOTAL_S + SLACK_S
    assert server.requests, "the request reached the fake server"
    if case == "redirect to another host":
        assert len(server.requests) == 1  # not retried, not followed


def test_service_off_opens_no_connection(store, servers):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    settings = Settings(remote_endpoint=f"http://127.0.0.1:{port}", remote_user_id="ab" * 16)
    assert settings.remote_enabled is False  # off by default
    try:
        outcome = recommend_with_fallback(store, settings, 5, local_fn=local_recommender())
        assert outcome.source == SOURCE_LOCAL
        assert "off" in outcome.reason
        with pytest.raises(BlockingIOError):
            listener.accept()
    finally:
        listener.close()


def test_preview_equals_the_bytes_sent(store, client, servers):
    answer = valid_answer(
        [{"artist": "Known", "title": "By Id", "mbid": MBID, "score": 0.9, "reason": "r"}]
    )
    server = FakeServer(respond(200, answer))
    servers.append(server)
    settings = _settings(server.url)
    settings.remote_share_history = True
    request = build_request(store, settings, "secret-token", k=15)
    client.recommend(request, k=15)
    assert server.requests == [request.to_http_bytes(redact_token=False)]
    preview = request.preview()
    assert "secret-token" not in preview
    assert preview.encode() == request.to_http_bytes(redact_token=True)
    assert preview.replace("<token hidden>", "secret-token").encode() == server.requests[0]


def test_request_never_carries_paths_or_file_names(store, tmp_path):
    add_track(
        store, "Guessed", "FromFilename", path="/home/alice/secret-mix.mp3", guessed="artist,title"
    )
    guessed_id = store.conn.execute("SELECT id FROM tracks WHERE artist='Guessed'").fetchone()[0]
    add_plays(store, guessed_id, 5)
    settings = _settings("https://rec.example")
    settings.remote_share_history = True
    body = build_request(store, settings, None, k=10).body.decode()
    assert "/home/alice" not in body and "Music" not in body and ".flac" not in body
    assert "FromFilename" not in body and "secret-mix" not in body
    payload = json.loads(body)
    assert set(payload) == {"protocol", "user_id", "k", "music_preferences", "seeds", "recent"}
    assert {s["artist"] for s in payload["seeds"]} == {"Band 0", "Band 1", "Band 2"}


def test_listen_times_are_sent_only_with_history_sharing(store):
    settings = _settings("https://rec.example")
    payload = build_request(store, settings, None).payload
    assert "recent" not in payload
    assert "listened_at" not in json.dumps(payload)
    settings.remote_share_history = True
    recent = build_request(store, settings, None).payload["recent"]
    assert recent and all(isinstance(r["listened_at"], int) for r in recent)


@pytest.mark.parametrize(
    "url", ["http://rec.example", "http://192.168.1.10:8000", "ftp://x", "https://u:p@rec.example"]
)
def test_plain_http_refused_except_loopback(url):
    with pytest.raises(UsageError):
        enable_remote(Settings(), url)


@pytest.mark.parametrize("url", ["http://127.0.0.1:9", "http://localhost:9", "http://[::1]:9"])
def test_plain_http_allowed_to_loopback(url):
    settings = Settings()
    enable_remote(settings, url)
    assert settings.remote_enabled and len(settings.remote_user_id) == 32


def test_retries_only_retryable_failures(client, servers, store):
    busy = FakeServer(respond(503, b"{}"))
    broken = FakeServer(respond(500, b"{}"))
    servers += [busy, broken]
    for server in (busy, broken):
        with pytest.raises(RemoteError):
            client.recommend(build_request(store, _settings(server.url), None, k=5), k=5)
    assert len(busy.requests) == 3  # MAX_ATTEMPTS
    assert len(broken.requests) == 1


def test_breaker_stops_calling_a_failing_service(store, client, servers):
    server = FakeServer(respond(500, b"{}"))
    servers.append(server)
    breaker = CircuitBreaker(store, failures=2, open_s=60)
    settings = _settings(server.url)
    for _ in range(4):
        outcome = recommend_with_fallback(
            store, settings, 5, local_fn=local_recommender(), client=client, breaker=breaker
        )
        assert outcome.source == SOURCE_LOCAL
    assert len(server.requests) == 2
    assert "not calling it" in outcome.reason
    # persisted in the store: a new breaker (a new CLI run) still holds back
    assert CircuitBreaker(store, failures=2).blocked() is not None


def test_breaker_lets_a_trial_through_after_the_pause(store):
    breaker = CircuitBreaker(None, failures=1, open_s=10)
    breaker.record_failure(now=100.0)
    assert breaker.blocked(now=105.0) is not None
    assert breaker.blocked(now=111.0) is None
    breaker.record_success()
    assert breaker.blocked(now=111.0) is None


def test_matches_by_mbid_then_name_and_keeps_unmatched_as_discover(store, client, servers):
    items = [
        {"artist": "Someone Else", "title": "Renamed", "mbid": MBID, "score": 0.9, "reason": "id"},
        {
            "artist": "BAND 4",
            "title": "tune 4 (Remastered 2011)",
            "mbid": None,
            "score": 0.8,
            "reason": "name",
        },
        {"artist": "Nobody", "title": "Not Here", "mbid": None, "score": 0.7, "reason": "new"},
    ]
    server = FakeServer(respond(200, valid_answer(items)))
    servers.append(server)
    outcome, _ = _ask(store, server.url, client)
    by_reason = {r.reasons[0]: r for r in outcome.recommendations if r.source == SOURCE_REMOTE}
    assert by_reason["id"].track.title == "By Id"
    assert by_reason["name"].track.artist == "Band 4"
    assert by_reason["new"].track is None and not by_reason["new"].playable
    assert by_reason["new"].to_json()["title"] == "Not Here"
    # 2 playable remote matches < 5 asked: topped up locally, so both sources answered
    assert outcome.source == "both"
    assert [r.source for r in outcome.recommendations][-1] == SOURCE_REMOTE  # discover last


def test_oversized_declared_answer_is_refused_without_reading(store, client, servers):
    server = FakeServer(respond(200, b"{" + b" " * 300_000 + b"}"))
    servers.append(server)
    outcome, _ = _ask(store, server.url, client)
    assert outcome.source == SOURCE_LOCAL and "too big" in outcome.reason
