"""The HTTP face of the reference server: protocol 1 in FastAPI, guarded by a small ASGI layer.

`create_app(model, token=..., loopback_only=...)` for tests and embedding; `app_from_env` is the
factory each uvicorn worker calls (`tonearm serve` sets the environment), so any number of
workers serve the same read-only model and share nothing else.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import math
import os
import time
import uuid
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from recommender import __version__
from recommender.core.threads import set_thread_budget
from recommender.remote.protocol import (
    HEALTH_PATH,
    MAX_GENRES,
    MAX_K,
    MAX_REASON_CHARS,
    MAX_RECENT,
    MAX_REQUEST_BYTES,
    MAX_SEEDS,
    MAX_TEXT_CHARS,
    MBID_RE,
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    RECOMMEND_PATH,
    ProtocolViolation,
    clean_text,
    parse_answer,
)
from recommender.remote.settings import is_loopback_host
from recommender.server.model import CF_MODES, DEFAULT_CF, ItemModel
from recommender.server.served_model import ServedModel

ENV_MODEL = "TONEARM_SERVER_MODEL"
ENV_TOKEN = "TONEARM_SERVER_TOKEN"
ENV_LOOPBACK_ONLY = "TONEARM_SERVER_LOOPBACK_ONLY"
ENV_CF = "TONEARM_SERVER_CF"
BODY_TIMEOUT_S = 10.0
log = logging.getLogger("recommender.server")


NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f-\x9f]*$"  # Unicode category Cc, as the client checks


def _whole_number(value: Any) -> Any:
    """JSON Schema counts 81.0 as an integer; "81" and true are not numbers at all."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Count = Annotated[int, BeforeValidator(_whole_number)]
Text = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        min_length=1,
        max_length=MAX_TEXT_CHARS,
        pattern=NO_CONTROL_CHARACTERS,
    ),
]
Mbid = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$")]
Genre = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=50, pattern=NO_CONTROL_CHARACTERS
    ),
]


class _Strict(BaseModel):
    # strict: "1" and true are not the number 1 (pydantic would coerce them).
    model_config = ConfigDict(extra="forbid", strict=True)


class Seed(_Strict):
    artist: Text
    title: Text
    mbid: Mbid | None = None


class Listen(Seed):
    listened_at: Count = Field(ge=0, description="Unix time; sent only if the user shares history")


class MusicPreferences(_Strict):
    genres: list[Genre] = Field(default_factory=list, max_length=MAX_GENRES)


class RecommendRequest(_Strict):
    # Documented as the one version spoken; any other integer is answered 400 (not 422), which
    # tells an older or newer client what this server speaks.
    protocol: Count = Field(
        description=f"Protocol version; this server speaks {PROTOCOL_VERSION}",
        json_schema_extra={"enum": [PROTOCOL_VERSION]},
    )
    user_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")] | None = Field(
        None, description="Random per-install pseudonym; never a name or an account"
    )
    k: Count = Field(20, ge=1, le=MAX_K)
    music_preferences: MusicPreferences = Field(default_factory=MusicPreferences)
    seeds: list[Seed] = Field(default_factory=list, max_length=MAX_SEEDS)
    recent: list[Listen] | None = Field(None, max_length=MAX_RECENT)


class Item(BaseModel):
    artist: str
    title: str
    mbid: str | None
    score: float
    reason: Annotated[str, StringConstraints(max_length=MAX_REASON_CHARS)]


class Problem(BaseModel):
    detail: str


class ModelInfo(BaseModel):
    name: str
    version: str


class RecommendResponse(BaseModel):
    protocol: int = PROTOCOL_VERSION
    model: ModelInfo
    items: list[Item]


class Health(BaseModel):
    status: str
    protocol: int = PROTOCOL_VERSION
    server: str
    model: ModelInfo
    items: int
    users: int
    cf: str = Field(description="how this worker scores: item, user or blend")


class Guard:
    """ASGI layer: loopback-only mode, request size cap, protocol header, one JSON log line."""

    def __init__(self, app: Any, *, loopback_only: bool) -> None:
        self.app = app
        self.loopback_only = loopback_only

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}
        request_id = uuid.uuid4().hex[:12]

        async def send_logged(message: dict) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (PROTOCOL_HEADER.lower().encode(), str(PROTOCOL_VERSION).encode()),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            client = (scope.get("client") or ("", 0))[0]
            if self.loopback_only and not is_loopback_host(client):
                await _plain(
                    send_logged, 403, "this server has no token, so it serves loopback only"
                )
                return
            headers = dict(scope.get("headers") or [])
            length = headers.get(b"content-length", b"")
            if length and (not length.isdigit() or int(length) > MAX_REQUEST_BYTES):
                await _plain(send_logged, 413, f"requests are limited to {MAX_REQUEST_BYTES} bytes")
                return
            # Read the whole body here (it is small by protocol) so that a chunked upload past
            # the cap is refused with 413 before FastAPI sees any of it, and a body that
            # trickles in is cut off after BODY_TIMEOUT_S.
            body = bytearray()
            more = True
            try:
                async with asyncio.timeout(BODY_TIMEOUT_S):
                    while more:
                        message = await receive()
                        if message["type"] != "http.request":
                            await self.app(scope, receive, send_logged)
                            return
                        body += message.get("body", b"")
                        more = message.get("more_body", False)
                        if len(body) > MAX_REQUEST_BYTES:
                            await _plain(
                                send_logged,
                                413,
                                f"requests are limited to {MAX_REQUEST_BYTES} bytes",
                            )
                            return
            except TimeoutError:
                await _plain(
                    send_logged, 408, f"the request body did not arrive within {BODY_TIMEOUT_S:g} s"
                )
                return
            if body and scope.get("method") == "POST":
                problem = strict_json_problem(bytes(body))
                if problem:
                    await _plain(send_logged, problem[0], problem[1])
                    return
            replayed = False

            async def replay() -> dict:
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": bytes(body), "more_body": False}
                return await receive()

            await self.app(scope, replay, send_logged)
        finally:
            log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "status": status["code"],
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )


class _NonFinite:
    def __init__(self, name: str) -> None:
        self.name = name


def strict_json_problem(body: bytes) -> tuple[int, str] | None:
    """(status, message naming the field) for a body that is not strict JSON, else None.

    Python's json accepts NaN, Infinity and lone surrogates (\\ud800); JSON (RFC 8259) and
    this protocol do not, and letting them through made FastAPI fail with a 500 on its own
    error message. Here they become a 4xx that says where they are."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return 400, f"the body is not UTF-8 (byte {exc.start})"
    try:
        data = json.loads(text, parse_constant=_NonFinite)
    except ValueError as exc:
        return 400, f"the body is not valid JSON: {exc}"
    found = _first_bad_value(data, "body")
    return (422, found) if found else None


def _first_bad_value(value: Any, where: str) -> str | None:
    if isinstance(value, _NonFinite):
        return f"{where}: {value.name} is not a JSON number"
    if isinstance(value, float) and not math.isfinite(value):
        return f"{where}: the number is too large"
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return f"{where}: the text contains a lone surrogate (invalid Unicode)"
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            bad = _first_bad_value(key, f"{where} (a key)") or _first_bad_value(
                item, f"{where}.{key}"
            )
            if bad:
                return bad
    elif isinstance(value, list):
        for index, item in enumerate(value):
            bad = _first_bad_value(item, f"{where}[{index}]")
            if bad:
                return bad
    return None


def answer_items(suggestions: Any, k: int) -> list[Item]:
    """The model's suggestions as protocol items: cleaned, and dropped if still not valid.

    The model is built from other people's listens, whose titles may be 2,000 characters long
    or carry control characters; the client would reject the whole answer for one such item."""
    items = []
    for s in suggestions:
        mbid = s.mbid if isinstance(s.mbid, str) and MBID_RE.match(s.mbid) else None
        item = Item(
            artist=clean_text(str(s.artist), MAX_TEXT_CHARS),
            title=clean_text(str(s.title), MAX_TEXT_CHARS),
            mbid=mbid,
            score=round(float(s.score), 6),
            reason=clean_text(str(s.reason), MAX_REASON_CHARS),
        )
        if item.artist and item.title and math.isfinite(item.score):
            items.append(item)
    return items[:k]


async def _plain(send: Any, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                # A body left unread (too big, too slow) ends the connection with the answer.
                *([(b"connection", b"close")] if status in (408, 413) else []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def create_app(
    model: ItemModel | ServedModel,
    *,
    token: str | None,
    loopback_only: bool | None = None,
    cf: str = DEFAULT_CF,
) -> Any:
    """The ASGI app. Without a token it answers loopback clients only.

    `model` may be a `ServedModel`, whose `current` model can be switched while serving: each
    request reads it once and answers wholly from that model."""
    served = model if isinstance(model, ServedModel) else ServedModel(model)
    if cf not in CF_MODES:
        raise ValueError(f"cf must be one of {CF_MODES}")
    loopback_only = token is None if loopback_only is None else loopback_only
    api = FastAPI(
        title="Tonearm recommendation service",
        version=f"protocol {PROTOCOL_VERSION}",
        description="Reference server for Tonearm remote recommendations (docs/remote-protocol.md)",
        docs_url=None,  # the interactive pages load scripts from a CDN; the JSON document is enough
        redoc_url=None,
    )

    def check_token(authorization: Annotated[str | None, Header()] = None) -> None:
        if token is None:
            return
        scheme, _, given = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), token.encode()):
            raise HTTPException(
                401, "a valid bearer token is required", {"WWW-Authenticate": "Bearer"}
            )

    def check_protocol(
        tonearm_protocol: Annotated[
            str | None,
            Header(alias=PROTOCOL_HEADER, json_schema_extra={"enum": [str(PROTOCOL_VERSION)]}),
        ] = None,
    ) -> None:
        if tonearm_protocol is not None and tonearm_protocol != str(PROTOCOL_VERSION):
            raise HTTPException(
                400,
                f"unsupported protocol {tonearm_protocol}; this server speaks {PROTOCOL_VERSION}",
            )

    @api.get(HEALTH_PATH, response_model=Health)
    def health() -> Health:
        current = served.current
        return Health(
            status="ok",
            server=f"tonearm-server/{__version__}",
            model=ModelInfo(name=current.name, version=current.version),
            items=current.size,
            users=current.users,
            cf=cf if cf in current.modes else "item",
        )

    @api.post(
        RECOMMEND_PATH,
        response_model=RecommendResponse,
        dependencies=[Depends(check_token), Depends(check_protocol)],
        responses={
            400: {"model": Problem, "description": "unsupported protocol or not strict JSON"},
            401: {"model": Problem, "description": "a valid bearer token is required"},
            403: {"model": Problem, "description": "a token-less server serves loopback only"},
            408: {"model": Problem, "description": "the request body arrived too slowly"},
            413: {"model": Problem, "description": f"larger than {MAX_REQUEST_BYTES} bytes"},
            422: {"description": "a field is invalid; the message names it"},
        },
    )
    def recommend(request: RecommendRequest) -> RecommendResponse:
        if request.protocol != PROTOCOL_VERSION:
            raise HTTPException(
                400,
                f"unsupported protocol {request.protocol}; this server speaks {PROTOCOL_VERSION}",
            )
        current = served.current
        suggestions = current.recommend(
            [(s.artist, s.title, s.mbid) for s in request.seeds],
            [(s.artist, s.title, s.mbid) for s in request.recent or ()],
            request.music_preferences.genres,
            request.k,
            cf=cf,
        )
        info = ModelInfo(name=current.name, version=current.version)
        answer = RecommendResponse(model=info, items=answer_items(suggestions, request.k))
        try:  # what the client will check, checked here first: never send what it rejects
            parse_answer(answer.model_dump(), k=request.k)
        except ProtocolViolation as exc:
            log.error("answer outside the protocol", extra={"problem": str(exc)})
            raise HTTPException(500, "the server built an answer outside its protocol") from exc
        return answer

    return Guard(api, loopback_only=loopback_only)


def app_from_env() -> Any:
    """Uvicorn factory for `tonearm serve`: model file, token and mode come from the environment."""
    set_thread_budget()  # one compute thread per worker process; `--workers` adds cores
    served = ServedModel.from_file(Path(os.environ[ENV_MODEL]))
    served.start()  # a new file at the same path is picked up without a restart
    model = served.current
    token = os.environ.get(ENV_TOKEN) or None
    loopback_only = os.environ.get(ENV_LOOPBACK_ONLY, "1" if token is None else "0") == "1"
    log.info(
        "model loaded",
        extra={"model_version": model.version, "items": model.size, "pid": os.getpid()},
    )
    cf = os.environ.get(ENV_CF) or DEFAULT_CF
    return create_app(served, token=token, loopback_only=loopback_only, cf=cf)
