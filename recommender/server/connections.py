"""Slow clients cannot starve the reference server: bounded header time, few slow sockets each.

uvicorn reads request headers itself with no time limit, so a client trickling bytes keeps a
connection (and, past `limit_concurrency`, everyone's requests) forever. `GuardedH11Protocol`
is uvicorn's h11 protocol with two rules: a request's headers must arrive within
HEADER_TIMEOUT_S, and each client address may have at most MAX_WAITING_PER_CLIENT connections
still sending headers; a new one pushes out that client's oldest, so a fresh request (a
`/health` probe included) always gets in. The body's time limit lives in the ASGI guard
(`recommender.server.app`). `tonearm serve` uses it; run uvicorn yourself with
`--http recommender.server.connections:GuardedH11Protocol`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from typing import Any, ClassVar

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT_S = 10.0
MAX_WAITING_PER_CLIENT = 8
_TIMEOUT_BODY = b"the request headers did not arrive in time"
TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain\r\n"
    b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(_TIMEOUT_BODY), _TIMEOUT_BODY)
)

log = logging.getLogger("recommender.server")


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a header deadline and a per-client cap on slow sockets."""

    header_timeout_s: ClassVar[float] = HEADER_TIMEOUT_S
    max_waiting_per_client: ClassVar[int] = MAX_WAITING_PER_CLIENT
    # One event loop per worker process, so plain class state is per process and unshared.
    _waiting: ClassVar[dict[str, OrderedDict[GuardedH11Protocol, None]]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_headers()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._header_timer is not None and self.conn.their_state is not h11.IDLE:
            self._stop_waiting()  # the request line and headers are in

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # Keep-alive: the next request's headers get the same deadline as the first one's.
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._await_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_waiting()
        super().connection_lost(exc)

    @property
    def _client_host(self) -> str:
        return self.client[0] if self.client else ""

    def _await_headers(self) -> None:
        self._stop_waiting()
        queue = self._waiting.setdefault(self._client_host, OrderedDict())
        queue[self] = None
        while len(queue) > self.max_waiting_per_client:
            oldest = next(iter(queue))
            oldest._drop("too many slow connections from this client")
        self._header_timer = self.loop.call_later(
            self.header_timeout_s, self._drop, "headers not complete in time"
        )

    def _stop_waiting(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None
        queue = self._waiting.get(self._client_host)
        if queue is not None:
            queue.pop(self, None)
            if not queue:
                self._waiting.pop(self._client_host, None)

    def _drop(self, why: str) -> None:
        self._stop_waiting()
        log.info("connection dropped", extra={"client": self._client_host, "reason": why})
        if not self.transport.is_closing():
            if self.conn.our_state is h11.IDLE:
                self.transport.write(TIMEOUT_RESPONSE)
            self.transport.close()
