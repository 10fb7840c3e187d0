"""The reference server for real, in a subprocess on loopback, with the real client."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from recommender.core.errors import RemoteError
from recommender.core.settings import Settings
from recommender.discovery.recommendation import SOURCE_BLENDED, SOURCE_LOCAL, SOURCE_REMOTE
from recommender.library.store import open_store
from recommender.remote.client import CircuitBreaker, RemoteClient
from recommender.remote.fallback import recommend_with_fallback
from recommender.remote.protocol import MAX_REQUEST_BYTES
from recommender.remote.settings import enable_remote
from tests.recommender.remote_fakes import (
    ServerProcess,
    add_plays,
    add_track,
    local_recommender,
    write_listens,
)

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

TOKEN = "test-token-123"
TOTAL_S = 1.5


@pytest.fixture(scope="module")
def listens(tmp_path_factory):
    path = tmp_path_factory.mktemp("listens") / "listens.jsonl"
    write_listens(path)
    return path


@pytest.fixture(scope="module", params=["in-process", "spark"])
def server(request, listens, tmp_path_factory):
    """The same tests against `tonearm serve --listens` and a Spark-built `--model`."""
    if request.param == "spark":
        from recommender.server.spark_build import build_model_spark

        path = tmp_path_factory.mktemp("model") / "model.npz"
        build_model_spark([listens], path, spark=request.getfixturevalue("spark"))
        proc = ServerProcess(path, token=TOKEN, model=True)
    else:
        proc = ServerProcess(listens, token=TOKEN)
    yield proc
    proc.stop()


@pytest.fixture
def store(tmp_path):
    store = open_store(tmp_path)
    # The library holds cluster 2 (its songs 0..29) and something no listener knows.
    ids = [add_track(store, f"Artist 2-{i % 8}", f"Song 2-{i}", genre="genre2") for i in range(30)]
    add_track(store, "Unknown Band", "Private Demo")
    for track_id in ids[:3]:
        add_plays(store, track_id, 3)
    yield store
    store.close()


@pytest.fixture
def client():
    with RemoteClient(connect_timeout_s=0.5, total_timeout_s=TOTAL_S, backoff_s=0.05) as c:
        yield c


def _settings(url: str) -> Settings:
    settings = Settings()
    enable_remote(settings, url)
    return settings


def test_round_trip_recommends_neighbours_of_the_seeds(server, store, client):
    outcome = recommend_with_fallback(
        store,
        _settings(server.url),
        5,
        local_fn=local_recommender(),
        client=client,
        token=TOKEN,
        breaker=CircuitBreaker(None),
    )
    assert outcome.source == SOURCE_REMOTE, outcome.reason
    playable = [r for r in outcome.recommendations if r.playable]
    assert len(playable) == 5
    assert all(r.track.artist.startswith("Artist 2-") for r in playable)  # the seeds' cluster
    seeds = {"Song 2-0", "Song 2-1", "Song 2-2"}
    assert not seeds & {r.track.title for r in playable}
    # item neighbours name a seed; nearest listeners name the artists shared with them
    assert all(
        r.reasons[0].startswith(("listeners of Artist 2-", "listeners who share")) for r in playable
    )
    assert all(r.extra["model"] == "tonearm-itemcf" for r in playable)
    discover = [r for r in outcome.recommendations if not r.playable]
    assert discover and all(r.track is None and r.title for r in discover)
    assert "tonearm-itemcf" in outcome.reason


def test_wrong_token_falls_back_locally(server, store, client):
    outcome = recommend_with_fallback(
        store,
        _settings(server.url),
        5,
        local_fn=local_recommender(),
        client=client,
        token="wrong",
        breaker=CircuitBreaker(None),
    )
    assert outcome.source == SOURCE_LOCAL
    assert "refused the token" in outcome.reason


def test_health_reports_protocol_and_model(server, client):
    health = client.health(server.url)
    assert health["protocol"] == 1 and health["status"] == "ok"
    assert health["model"]["name"] == "tonearm-itemcf" and health["items"] == 200


def test_server_serves_its_openapi_document(server):
    doc = httpx.get(server.url + "/openapi.json", trust_env=False).json()
    assert "/music/recommend" in doc["paths"] and "/health" in doc["paths"]
    assert "RecommendRequest" in doc["components"]["schemas"]


@pytest.mark.parametrize(
    "body, status",
    [
        ({"protocol": 1, "k": 1000}, 422),
        ({"protocol": 1, "seeds": [{"artist": "", "title": "x"}]}, 422),
        ({"protocol": 1, "seeds": [{"artist": "a", "title": "b", "path": "/home/x"}]}, 422),
        ({"protocol": 1, "user_id": "alice"}, 422),
        ({"protocol": 2}, 400),
    ],
)
def test_server_rejects_invalid_requests(server, body, status):
    response = httpx.post(
        server.url + "/music/recommend",
        json=body,
        trust_env=False,
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert response.status_code == status


def test_server_refuses_oversized_requests_even_when_chunked(server):
    big = json.dumps({"protocol": 1, "seeds": [], "pad": "x" * (MAX_REQUEST_BYTES + 10)}).encode()
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    sized = httpx.post(
        server.url + "/music/recommend", content=big, headers=headers, trust_env=False
    )
    chunked = httpx.post(
        server.url + "/music/recommend",
        content=iter([big[:40000], big[40000:]]),
        headers=headers,
        trust_env=False,
    )
    assert sized.status_code == 413 and chunked.status_code == 413


@pytest.mark.parametrize("how", ["terminate", "kill"])
def test_server_stopped_mid_use_gives_local_answer_within_timeout(listens, store, client, how):
    proc = ServerProcess(listens)
    try:
        settings = _settings(proc.url)
        kwargs = dict(local_fn=local_recommender(), client=client, breaker=CircuitBreaker(None))
        first = recommend_with_fallback(store, settings, 5, **kwargs)
        assert first.source in (SOURCE_REMOTE, SOURCE_BLENDED)
        # the client keeps its connection open: the next call finds it dead and must recover
        getattr(proc.proc, how)()
        proc.proc.wait(timeout=10)
    finally:
        proc.stop()
    started = time.monotonic()
    second = recommend_with_fallback(store, settings, 5, **kwargs)
    elapsed = time.monotonic() - started
    assert second.source == SOURCE_LOCAL and second.recommendations
    assert "cannot reach" in second.reason
    assert elapsed < TOTAL_S + 0.5


def test_server_without_token_refuses_to_bind_beyond_loopback(listens):
    import subprocess
    import sys

    from tests.recommender.remote_fakes import REPO_ROOT

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "recommender",
            "serve",
            "--listens",
            str(listens),
            "--host",
            "0.0.0.0",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "without a token" in result.stderr


def test_health_check_fails_cleanly_when_nothing_listens(client):
    from tests.recommender.remote_fakes import free_port

    with pytest.raises(RemoteError, match="cannot reach"):
        client.health(f"http://127.0.0.1:{free_port()}")


def test_replica_switches_to_a_rebuilt_model_without_dropping_requests(listens, tmp_path):
    import threading

    from recommender.server.model import build_model_from_files

    path = tmp_path / "model.npz"
    build_model_from_files([listens]).save(path)
    proc = ServerProcess(path, model=True)
    statuses: list[int] = []
    versions: set[str] = set()
    stop = threading.Event()
    body = {"protocol": 1, "k": 5, "seeds": [{"artist": "Artist 2-1", "title": "Song 2-9"}]}

    def hammer() -> None:
        with httpx.Client(trust_env=False, timeout=5) as http:
            while not stop.is_set():
                answer = http.post(proc.url + "/music/recommend", json=body)
                statuses.append(answer.status_code)
                if answer.status_code == 200:
                    versions.add(answer.json()["model"]["version"])

    try:
        old = httpx.get(proc.url + "/health", trust_env=False).json()["model"]["version"]
        thread = threading.Thread(target=hammer)
        thread.start()
        smaller = tmp_path / "smaller.jsonl"
        write_listens(smaller, users=60)
        new_model = build_model_from_files([smaller])
        new_model.save(path)
        deadline = time.monotonic() + 15
        served = old
        while served == old and time.monotonic() < deadline:
            time.sleep(0.2)
            served = httpx.get(proc.url + "/health", trust_env=False).json()["model"]["version"]
        time.sleep(0.3)
        stop.set()
        thread.join(timeout=10)
    finally:
        stop.set()
        proc.stop()
    assert served == new_model.version != old
    assert statuses and set(statuses) == {200}
    assert versions == {old, new_model.version}
