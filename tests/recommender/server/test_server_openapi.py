"""Schemathesis against the reference server's own OpenAPI document: valid and invalid
requests alike, no 5xx, every answer in the documented shape (bounded: 40 examples each)."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("fastapi")
schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402

from recommender.server import app as server_app  # noqa: E402
from recommender.server.model import build_model_from_files  # noqa: E402
from tests.recommender.remote_fakes import write_listens  # noqa: E402

TOKEN = "fuzz-token"


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory):
    path = tmp_path_factory.mktemp("listens") / "listens.jsonl"
    write_listens(path, users=40)
    app = server_app.create_app(build_model_from_files([path]), token=TOKEN, loopback_only=False)
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def _fuzz(operation) -> None:
    """Hypothesis over one operation's generated requests (schemathesis' own strategy)."""

    @settings(
        max_examples=40,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(operation.as_strategy())
    def check(case) -> None:
        response = case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"})
        if 400 <= response.status_code < 500:
            assert json.loads(response.text)["detail"], "a 4xx says what was wrong"

    check()


def test_server_keeps_to_its_openapi_document(api_schema):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert sorted(op.label for op in operations) == ["GET /health", "POST /music/recommend"]
    for operation in operations:
        _fuzz(operation)
