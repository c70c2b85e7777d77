"""The HTTP server: uvicorn, with deadlines for slow clients and a cap on open connections."""

# uvicorn bounds only the idle time between two requests (timeout_keep_alive). A connection that
# never sends a byte, sends half a request head or stops in the middle of a body stays open for
# ever, and enough of them exhaust the process. This protocol adds what nginx calls
# client_header_timeout (the whole head within `header_timeout`), client_body_timeout (no
# `body_timeout` of silence within a body, not counting while the app itself is not reading), a
# limit on the head's size, and a cap on connections checked when one is accepted. A reverse proxy
# in front (docs/operating.md) does the same at the edge; these hold when there is none.

import asyncio
import contextlib
import json
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from bot import texts
from bot.config import ServerConfig
from bot.errors import ConfigError

MAX_HEAD_BYTES = 64 * 1024


@dataclass(frozen=True)
class ClientLimits:
    header_timeout: float
    body_timeout: float
    max_connections: int
    max_head_bytes: int = MAX_HEAD_BYTES


def _refusal(status: int, reason: str, detail: str) -> bytes:
    body = json.dumps({"detail": detail, "errors": []}, ensure_ascii=False).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body


TIMED_OUT = _refusal(408, "Request Timeout", texts.TOO_SLOW)
HEAD_TOO_LARGE = _refusal(
    431, "Request Header Fields Too Large", texts.TOO_LARGE_KB.format(kb=MAX_HEAD_BYTES // 1024)
)


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with deadlines for the head and the body."""

    limits = ClientLimits(header_timeout=10.0, body_timeout=30.0, max_connections=2000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._head_bytes = 0
        self._in_head = True
        self._body_seen = 0.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            transport.close()
            return
        self._arm(self.limits.header_timeout, self._head_too_slow)

    def _arm(self, delay: float, callback: Callable[[], None]) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(delay, callback)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _refuse(self, response: bytes) -> None:
        """Answer (unless a response is under way) and close."""
        if self.transport.is_closing():
            return
        cycle = self.cycle
        if cycle is None or cycle.response_complete or not cycle.response_started:
            self.transport.write(response)
        self.transport.close()

    def _head_too_slow(self) -> None:
        self._deadline = None
        self._refuse(TIMED_OUT)

    def _body_too_slow(self) -> None:
        self._deadline = None
        silent = self.loop.time() - self._body_seen
        # While the app is not reading (flow control paused us), the silence is not the client's.
        if self.flow.read_paused or silent < self.limits.body_timeout:
            self._arm(max(self.limits.body_timeout - silent, 0.5), self._body_too_slow)
            return
        self._refuse(TIMED_OUT)

    def _drain_too_slow(self) -> None:
        # The response went out before the body was in (a 401, a 413): the rest may be read and
        # dropped for a while, so the client sees the answer, but not for ever.
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._in_head:
            self._head_bytes += len(data)
            if self._head_bytes > self.limits.max_head_bytes:
                self._refuse(HEAD_TOO_LARGE)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._head_bytes = 0
        self._arm(self.limits.header_timeout, self._head_too_slow)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._body_seen = self.loop.time()
        self._arm(self.limits.body_timeout, self._body_too_slow)
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        self._body_seen = self.loop.time()
        super().on_body(body)

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.cycle is not None and self.cycle.more_body and not self.transport.is_closing():
            self._arm(self.limits.body_timeout, self._drain_too_slow)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


def guarded_protocol(limits: ClientLimits) -> type[GuardedHttpProtocol]:
    return type("GuardedHttpProtocol", (GuardedHttpProtocol,), {"limits": limits})


def server_config(app: FastAPI, server: ServerConfig, *, host: str, port: int) -> uvicorn.Config:
    """uvicorn's settings for the public app: deadlines, connection cap, proxies trusted only
    when configured."""
    limits = ClientLimits(
        header_timeout=server.header_timeout,
        body_timeout=server.body_timeout,
        max_connections=server.max_connections,
    )
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=guarded_protocol(limits),
        log_level="info",
        lifespan="off",
        access_log=server.access_log,
        timeout_keep_alive=server.keep_alive_timeout,
        limit_concurrency=server.max_connections,
        # X-Forwarded-For/-Proto are believed only from the configured proxies.
        proxy_headers=bool(server.trusted_proxies),
        forwarded_allow_ips=list(server.trusted_proxies) or None,
        # Open live-update streams (the inbox's SSE) must not hold a shutdown for minutes.
        timeout_graceful_shutdown=3,
    )


def metrics_server_config(app: FastAPI, server: ServerConfig) -> uvicorn.Config:
    """`[server] metrics_address` ("host:port"): /metrics alone, on a bind of its own."""
    host, _, port = server.metrics_address.rpartition(":")
    if not port.isdigit():
        raise ConfigError(f"server.metrics_address: {server.metrics_address!r} is not host:port")
    return uvicorn.Config(
        app,
        host=host.strip("[]") or "127.0.0.1",
        port=int(port),
        log_level="warning",
        lifespan="off",
        access_log=False,
        proxy_headers=False,
        timeout_graceful_shutdown=1,
    )


class SecondaryServer(uvicorn.Server):
    """A server beside the main one (metrics): the main one owns the signals and stops it."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield
