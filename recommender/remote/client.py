"""The opt-in client of a remote recommendation service: what is sent, and how it is sent safely.

`build_request` is the one function that turns the library into request bytes; the preview the
user sees is rendered from the very object that is sent, so the two cannot differ.

Safety rails, all on by default and none switchable off: TLS verification; plain http:// only to
loopback; no proxies or .netrc from the environment (they could add headers the preview does
not show); redirects never followed; a connect timeout and a deadline for the whole call
(retries included); at most MAX_ATTEMPTS tries with jittered backoff, only for failures worth
retrying; answers read as a stream and abandoned past MAX_RESPONSE_BYTES, never decompressed;
strict validation of the answer; a circuit breaker that stops calling a failing service.
"""

from __future__ import annotations

import contextvars
import json
import logging
import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

from recommender import __version__
from recommender.core.errors import RemoteError
from recommender.core.settings import Settings
from recommender.history.plays import favourite_track_ids, latest_listens
from recommender.library.store import Store
from recommender.library.tracks import Track, common_genres, get_tracks
from recommender.remote.protocol import (
    HEALTH_PATH,
    MAX_GENRES,
    MAX_K,
    MAX_RECENT,
    MAX_RESPONSE_BYTES,
    MAX_SEEDS,
    MAX_TEXT_CHARS,
    MBID_RE,
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    RECOMMEND_PATH,
    ProtocolViolation,
    RemoteAnswer,
    clean_text,
    parse_answer,
)
from recommender.remote.settings import check_endpoint

CONNECT_TIMEOUT_S = 2.0
TOTAL_TIMEOUT_S = 5.0
MAX_ATTEMPTS = 3
BACKOFF_S = 0.25
RETRY_AFTER_MAX_S = 2.0
BREAKER_FAILURES = 3
BREAKER_OPEN_S = 120.0
BREAKER_STATE_KEY = "remote_breaker"
SEED_TRACKS = 10
SEED_WINDOW_S = 90 * 86400
PREFERRED_GENRES = 5
RECENT_LISTENS = 50
USER_AGENT = f"Tonearm/{__version__}"
RETRYABLE_STATUS = frozenset({429, 502, 503, 504})
REDACTED = "<token hidden>"

log = logging.getLogger(__name__)


class RemoteUnavailable(RemoteError):
    """A failure worth retrying: no connection, a timeout, an overloaded or restarting service."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


# --- what is sent -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RemoteRequest:
    """The exact request: method, URL, headers in order, body bytes. Shown as-is in the preview."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.body) if self.body else {}

    def to_http_bytes(self, *, redact_token: bool = True) -> bytes:
        """The request as HTTP/1.1 puts it on the wire (inside TLS for https)."""
        target = httpx.URL(self.url).raw_path.decode("ascii")
        lines = [f"{self.method} {target} HTTP/1.1"]
        for name, value in self.headers:
            if redact_token and name.lower() == "authorization":
                value = f"Bearer {REDACTED}"
            lines.append(f"{name}: {value}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body

    def preview(self) -> str:
        """What the settings page and `tonearm remote preview` show: the request, token hidden."""
        return self.to_http_bytes(redact_token=True).decode("utf-8", errors="replace")

    def to_httpx(self, timeout: httpx.Timeout) -> httpx.Request:
        request = httpx.Request(
            self.method, self.url, headers=list(self.headers), content=self.body
        )
        request.extensions["timeout"] = timeout.as_dict()
        return request


def _clip(text: str | None) -> str | None:
    if text is None:
        return None
    return clean_text(text, MAX_TEXT_CHARS) or None


def _describe(track: Track) -> dict[str, Any] | None:
    """Artist, title and MusicBrainz id of a track; None when a name was guessed from the path."""
    guessed = set(track.guessed.split(","))
    if "artist" in guessed or "title" in guessed:
        return None  # guessed from the file name: sending it would leak the file name
    artist, title = _clip(track.artist), _clip(track.title)
    if not artist or not title:
        return None
    mbid = (track.mb_recording_id or "").strip().lower()
    return {"artist": artist, "title": title, "mbid": mbid if MBID_RE.match(mbid) else None}


def _seed_tracks(store: Store, now: float) -> list[Track]:
    """The tracks the user played most (completed, not skipped) in the last 90 days."""
    ids = favourite_track_ids(store, now - SEED_WINDOW_S, SEED_TRACKS * 3)
    tracks = get_tracks(store, ids)
    return [tracks[i] for i in ids if i in tracks]


def _genres(store: Store, tracks: Sequence[Track]) -> list[str]:
    """The most common genres of the seeds, else of the whole library."""
    counts: dict[str, int] = {}
    values = [t.genre for t in tracks if t.genre]
    if not values:
        values = common_genres(store, 20)
    for value in values:
        for part in value.replace("/", ";").split(";"):
            name = clean_text(part, 50).casefold()
            if name:
                counts[name] = counts.get(name, 0) + 1
    ranked = sorted(counts, key=lambda g: (-counts[g], g))
    return ranked[: min(PREFERRED_GENRES, MAX_GENRES)]


def _recent(store: Store) -> list[dict[str, Any]]:
    """The latest listens with their times: sent only when the user shares history."""
    rows = latest_listens(store, RECENT_LISTENS)
    tracks = get_tracks(store, [r[0] for r in rows])
    out = []
    for track_id, listened_at in rows:
        described = _describe(tracks[track_id]) if track_id in tracks else None
        if described:
            out.append({**described, "listened_at": int(listened_at)})
    return out[:MAX_RECENT]


def build_request(
    store: Store,
    settings: Settings,
    token: str | None,
    *,
    k: int = 20,
    seeds: Sequence[Track] | None = None,
    endpoint: str | None = None,
    now: float | None = None,
) -> RemoteRequest:
    """THE request: the real one and the preview both come from here.

    Sends a random per-install id, a few genres, seed tracks (artist, title, MusicBrainz id) and,
    only when history sharing is on, recent listens with their times. Never paths, file names,
    albums, user or machine names.
    """
    now = time.time() if now is None else now
    url = check_endpoint(endpoint or settings.remote_endpoint) + RECOMMEND_PATH
    seed_tracks = list(seeds) if seeds is not None else _seed_tracks(store, now)
    described = [d for d in (_describe(t) for t in seed_tracks) if d]
    payload: dict[str, Any] = {
        "protocol": PROTOCOL_VERSION,
        "user_id": settings.remote_user_id or None,
        "k": max(1, min(int(k), MAX_K)),
        "music_preferences": {"genres": _genres(store, seed_tracks)},
        "seeds": described[: min(SEED_TRACKS, MAX_SEEDS)],
    }
    if settings.remote_share_history:
        payload["recent"] = _recent(store)
    body = json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode("ascii")
    return RemoteRequest("POST", url, _headers(url, token, body), body)


def _headers(url: str, token: str | None, body: bytes | None) -> tuple[tuple[str, str], ...]:
    """Every header that goes out, so that httpx adds none of its own."""
    headers = [
        ("Host", httpx.URL(url).netloc.decode("ascii")),
        ("User-Agent", USER_AGENT),
        ("Accept", "application/json"),
        ("Accept-Encoding", "identity"),
        (PROTOCOL_HEADER, str(PROTOCOL_VERSION)),
    ]
    if token:
        headers.append(("Authorization", f"Bearer {token}"))
    if body is not None:
        headers += [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    return tuple(headers)


# --- the circuit breaker ---------------------------------------------------------------------


class CircuitBreaker:
    """Stops calling a service that failed BREAKER_FAILURES times in a row, for BREAKER_OPEN_S.

    Persisted in the store's app_state when given a store (so one-shot CLI runs and a restarted
    app respect it), else kept in this process. After the pause one trial call goes through.
    """

    def __init__(
        self,
        store: Store | None = None,
        *,
        failures: int = BREAKER_FAILURES,
        open_s: float = BREAKER_OPEN_S,
    ) -> None:
        self.store = store
        self.threshold = failures
        self.open_s = open_s
        self._memory = {"failures": 0, "open_until": 0.0}

    def _load(self) -> dict[str, float]:
        if self.store is None:
            return dict(self._memory)
        try:
            state = json.loads(self.store.get_state(BREAKER_STATE_KEY) or "{}")
            return {
                "failures": int(state.get("failures", 0)),
                "open_until": float(state.get("open_until", 0)),
            }
        except (ValueError, TypeError, AttributeError):
            return {"failures": 0, "open_until": 0.0}

    def _save(self, state: dict[str, float]) -> None:
        if self.store is None:
            self._memory = dict(state)
        else:
            self.store.set_state(BREAKER_STATE_KEY, json.dumps(state))

    def blocked(self, now: float | None = None) -> str | None:
        """None when a call may go out, else why not (in words)."""
        state = self._load()
        now = time.time() if now is None else now
        if state["open_until"] > now:
            wait = int(state["open_until"] - now) + 1
            return (
                f"the service failed {int(state['failures'])} times in a row; "
                f"not calling it for another {wait} s"
            )
        return None

    def record_success(self) -> None:
        self._save({"failures": 0, "open_until": 0.0})

    def record_failure(self, now: float | None = None) -> None:
        state = self._load()
        now = time.time() if now is None else now
        state["failures"] += 1
        if state["failures"] >= self.threshold:
            state["open_until"] = now + self.open_s
        self._save(state)

    def reset(self) -> None:
        self.record_success()


# --- the deadline, enforced on every socket operation -----------------------------------------

_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "remote_deadline", default=None
)


def _within_deadline(timeout: float | None, error: type[Exception]) -> float | None:
    """The socket timeout for one operation: what httpx asked for, never past the deadline.

    httpx's timeouts are per operation, so a server sending its headers a byte a second resets
    them forever; clamping each read, write, connect and handshake to what is left of the
    call's deadline makes the deadline hold for headers and body alike."""
    deadline = _deadline.get()
    if deadline is None:
        return timeout
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise error("the call's deadline passed")
    return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _within_deadline(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _within_deadline(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _within_deadline(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's own sockets, each operation bounded by the current call's deadline."""

    def __init__(self) -> None:
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _within_deadline(timeout, httpcore.ConnectTimeout)
        stream = self._backend.connect_tcp(host, port, timeout, local_address, socket_options)
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:  # pragma: no cover - Tonearm only speaks TCP
        raise httpcore.ConnectError("Tonearm's remote client does not use Unix sockets")

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def _deadline_transport() -> httpx.HTTPTransport:
    """httpx's transport (verify=True, no environment) over the deadline-bound sockets."""
    transport = httpx.HTTPTransport(verify=True, trust_env=False)
    # httpx has no public hook for the network backend; the pool it built is replaced by an
    # identical one over our backend (tests/.../test_remote_client.py catches a change).
    transport._pool = httpcore.ConnectionPool(
        ssl_context=transport._pool._ssl_context,
        network_backend=_DeadlineBackend(),
    )
    return transport


# --- the client --------------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


class RemoteClient:
    """Sends what `build_request` built; every failure becomes a RemoteError with a reason."""

    def __init__(
        self,
        *,
        connect_timeout_s: float = CONNECT_TIMEOUT_S,
        total_timeout_s: float = TOTAL_TIMEOUT_S,
        max_attempts: int = MAX_ATTEMPTS,
        backoff_s: float = BACKOFF_S,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.connect_timeout_s = connect_timeout_s
        self.total_timeout_s = total_timeout_s
        self.max_attempts = max(1, max_attempts)
        self.backoff_s = backoff_s
        self.max_response_bytes = max_response_bytes
        # verify=True always; trust_env=False: no proxy, no .netrc credentials from the environment.
        self._http = httpx.Client(
            verify=True,
            trust_env=False,
            follow_redirects=False,
            transport=transport or _deadline_transport(),
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RemoteClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def recommend(self, request: RemoteRequest, *, k: int) -> RemoteAnswer:
        """Send the request; a validated answer or a RemoteError saying what went wrong."""
        data = self._call(request)
        try:
            return parse_answer(data, k=k)
        except ProtocolViolation as exc:
            raise RemoteError(f"the service answered outside the protocol: {exc}") from exc

    def health(self, endpoint: str, token: str | None = None) -> dict[str, Any]:
        """GET /health: the service's status, protocol and model, or a RemoteError."""
        url = check_endpoint(endpoint) + HEALTH_PATH
        data = self._call(RemoteRequest("GET", url, _headers(url, token, None), b""))
        if not isinstance(data, dict) or data.get("protocol") != PROTOCOL_VERSION:
            got = data.get("protocol") if isinstance(data, dict) else None
            raise RemoteError(
                f"the service speaks protocol {got!r}; this Tonearm speaks {PROTOCOL_VERSION}"
            )
        return data

    def _call(self, request: RemoteRequest) -> Any:
        deadline = time.monotonic() + self.total_timeout_s
        bound = _deadline.set(deadline)
        try:
            return self._call_until(request, deadline)
        finally:
            _deadline.reset(bound)

    def _call_until(self, request: RemoteRequest, deadline: float) -> Any:
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._attempt(request, deadline)
            except RemoteUnavailable as exc:
                delay = exc.retry_after_s
                if delay is None:
                    delay = self.backoff_s * (2 ** (attempt - 1)) * (0.5 + random.random())
                remaining = deadline - time.monotonic()
                if attempt >= self.max_attempts or delay >= remaining:
                    if attempt > 1:
                        raise RemoteUnavailable(f"{exc} (after {attempt} tries)") from exc
                    raise
                log.info("remote try %d failed (%s); retrying in %.2f s", attempt, exc, delay)
                time.sleep(delay)

    def _attempt(self, request: RemoteRequest, deadline: float) -> Any:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise RemoteUnavailable(f"no answer within {self.total_timeout_s:g} s")
        timeout = httpx.Timeout(
            connect=min(self.connect_timeout_s, remaining),
            read=remaining,
            write=remaining,
            pool=remaining,
        )
        host = httpx.URL(request.url).host
        try:
            response = self._http.send(request.to_httpx(timeout), stream=True)
        except httpx.TimeoutException as exc:
            raise RemoteUnavailable(
                f"{host} did not answer in time ({type(exc).__name__})"
            ) from exc
        except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError) as exc:
            raise RemoteUnavailable(f"cannot reach {host}: {exc or type(exc).__name__}") from exc
        except httpx.HTTPError as exc:
            raise RemoteError(f"request to {host} failed: {exc or type(exc).__name__}") from exc
        try:
            return self._read(response, host, deadline)
        finally:
            response.close()

    def _read(self, response: httpx.Response, host: str, deadline: float) -> Any:
        status = response.status_code
        if response.is_redirect:
            target = httpx.URL(response.headers.get("location", "")).host or "another address"
            raise RemoteError(
                f"the service redirected to {target}; Tonearm never follows redirects"
            )
        if status in RETRYABLE_STATUS:
            retry_after = response.headers.get("retry-after", "")
            raise RemoteUnavailable(
                f"{host} is busy or restarting (HTTP {status})",
                min(float(retry_after), RETRY_AFTER_MAX_S) if retry_after.isdigit() else None,
            )
        if status in (401, 403):
            raise RemoteError(f"{host} refused the token (HTTP {status}); check the token setting")
        if status != 200:
            raise RemoteError(f"{host} answered HTTP {status}")
        encoding = response.headers.get("content-encoding", "identity").lower()
        if encoding not in ("", "identity"):
            raise RemoteError(f"{host} sent a compressed answer ({encoding}) it was not asked for")
        ctype = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "application/json":
            raise RemoteError(f"{host} answered with {ctype or 'no content type'}, not JSON")
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_response_bytes:
            raise RemoteError(f"{host} announced a {int(declared):,}-byte answer; too big")
        body = bytearray()
        try:
            for chunk in response.iter_raw():
                body += chunk
                if len(body) > self.max_response_bytes:
                    raise RemoteError(
                        f"{host}'s answer passed {self.max_response_bytes:,} bytes; stopped reading"
                    )
                if time.monotonic() > deadline:
                    raise RemoteUnavailable(f"{host} did not finish its answer in time")
        except httpx.TimeoutException as exc:
            if time.monotonic() >= deadline:
                raise RemoteUnavailable(f"{host} did not finish its answer in time") from exc
            raise RemoteUnavailable(f"{host} stalled mid-answer ({type(exc).__name__})") from exc
        except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
            raise RemoteUnavailable(f"{host} broke off its answer: {exc}") from exc
        try:
            return json.loads(bytes(body).decode("utf-8"), parse_constant=_reject_constant)
        except (UnicodeDecodeError, ValueError) as exc:
            raise RemoteError(f"{host} sent malformed JSON: {exc}") from exc
