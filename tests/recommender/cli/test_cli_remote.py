"""`tonearm remote ...` end to end through the CLI entry point, on loopback."""

from __future__ import annotations

import io
import json
import sys

import pytest

from recommender.cli.main import main
from recommender.core.settings import Settings
from recommender.library.store import open_store
from tests.recommender.remote_fakes import FakeServer, add_plays, add_track, respond, valid_answer


@pytest.fixture(autouse=True)
def no_keyring(monkeypatch):
    monkeypatch.setattr("recommender.remote.settings._keyring", lambda: None)


@pytest.fixture
def data_dir(tmp_path):
    with open_store(tmp_path) as store:
        track = add_track(store, "Band", "Tune", genre="Jazz")
        add_plays(store, track, 2)
    return tmp_path


@pytest.fixture
def server():
    health = json.dumps(
        {
            "status": "ok",
            "protocol": 1,
            "server": "fake",
            "model": {"name": "fake", "version": "9"},
            "items": 3,
            "users": 2,
        }
    )
    server = FakeServer(respond(200, health.encode()))
    yield server
    server.stop()


def run(data_dir, *args):
    return main(["--data-dir", str(data_dir), "remote", *args])


def test_enable_preview_disable_round(data_dir, server, capsys):
    assert run(data_dir, "enable", "--endpoint", server.url) == 0
    settings = Settings.load(data_dir)
    assert settings.remote_enabled and len(settings.remote_user_id) == 32
    assert "remote service on" in capsys.readouterr().out
    assert run(data_dir, "preview", "--json") == 0
    out = json.loads(capsys.readouterr().out)
    assert out["url"] == server.url + "/music/recommend"
    assert out["body"]["seeds"] == [{"artist": "Band", "title": "Tune", "mbid": None}]
    assert out["body"]["user_id"] == settings.remote_user_id
    assert server.requests == []  # a preview sends nothing
    assert run(data_dir, "disable") == 0
    assert not Settings.load(data_dir).remote_enabled


def test_status_checks_health_only_when_on(data_dir, server, capsys):
    assert run(data_dir, "status") == 0
    assert "not checked" in capsys.readouterr().out
    assert server.connections == 0
    run(data_dir, "enable", "--endpoint", server.url)
    capsys.readouterr()
    assert run(data_dir, "status", "--json") == 0
    status = json.loads(capsys.readouterr().out)
    assert status["health"]["model"]["version"] == "9" and status["enabled"]
    assert server.requests[0].startswith(b"GET /health HTTP/1.1")


def test_set_token_from_stdin_and_it_is_sent(data_dir, monkeypatch, capsys):
    server = FakeServer(respond(200, valid_answer()))
    try:
        monkeypatch.setattr(sys, "stdin", io.StringIO("tok-42\n"))
        assert run(data_dir, "set-token") == 0
        run(data_dir, "enable", "--endpoint", server.url)
        run(data_dir, "preview")
        preview = capsys.readouterr().out
        assert "Authorization: Bearer <token hidden>" in preview and "tok-42" not in preview
    finally:
        server.stop()


def test_refuses_plain_http_to_another_host(data_dir, capsys):
    assert run(data_dir, "enable", "--endpoint", "http://rec.example") == 2
    assert "refusing plain http://" in capsys.readouterr().err


def test_reset_id_and_share_history(data_dir):
    run(data_dir, "enable", "--endpoint", "https://rec.example")
    before = Settings.load(data_dir).remote_user_id
    run(data_dir, "reset-id")
    run(data_dir, "share-history", "on")
    settings = Settings.load(data_dir)
    assert settings.remote_user_id != before and settings.remote_share_history


def test_recommend_glue_names_the_source_in_json(data_dir, capsys):
    from recommender.cli.context import Context
    from recommender.cli.remote import print_outcome, remote_recommendations

    answer = valid_answer(
        [
            {
                "artist": "band",
                "title": "TUNE",
                "mbid": None,
                "score": 1.0,
                "reason": "fans of Band",
            },
            {"artist": "New", "title": "Song", "mbid": None, "score": 0.5, "reason": "new to you"},
        ]
    )
    server = FakeServer(respond(200, answer))
    ctx = Context(data_dir=data_dir)
    try:
        outcome = remote_recommendations(ctx, 1, endpoint=server.url, local_fn=lambda s, n: [])
        print_outcome(outcome, as_json=True)
    finally:
        server.stop()
        ctx.close()
    out = json.loads(capsys.readouterr().out)
    assert out["source"] == "remote"
    assert [(r["title"], r["playable"], r["source"]) for r in out["recommendations"]] == [
        ("Tune", True, "remote"),
        ("Song", False, "remote"),
    ]


def test_recommend_glue_answers_locally_when_off(data_dir, capsys):
    from recommender.cli.context import Context
    from recommender.cli.remote import print_outcome, remote_recommendations

    ctx = Context(data_dir=data_dir)
    try:
        outcome = remote_recommendations(ctx, 3)
        print_outcome(outcome, as_json=False)
    finally:
        ctx.close()
    captured = capsys.readouterr()
    assert outcome.source == "local" and "remote service is off" in captured.err
    assert captured.out.startswith("source: local")
