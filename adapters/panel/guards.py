"""ASGI guards before any parsing: a trusted Host, body limits, Slack's signature."""

import logging
from collections.abc import Mapping
from urllib.parse import urlsplit

from fastapi.responses import JSONResponse
from slack_sdk.signature import SignatureVerifier
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot import texts
from bot.config import ServerConfig

log = logging.getLogger(__name__)

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
# Probes (load balancers, Kubernetes) name the instance by its address; these answer nothing
# built from the Host, so any Host may ask.
PROBES = frozenset({"/healthz", "/readyz"})
SLACK_EVENTS = "/slack/events"
# A 40,000-character Slack message with its blocks, escaped, stays well under this.
SLACK_MAX_BYTES = 1024 * 1024


def error_response(
    status: int,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """Pomoc's error envelope: {"detail": <Polish>, "errors": [{field, message}]}."""
    body = {"detail": detail, "errors": errors or []}
    return JSONResponse(body, status_code=status, headers=headers)


def trusted_hosts(server: ServerConfig) -> frozenset[str]:
    """public_url's host, the configured extra ones, and for a loopback URL every loopback name."""
    public = (urlsplit(server.public_url).hostname or "").lower()
    hosts = {public, *(host.lower().strip("[]") for host in server.trusted_hosts)}
    return frozenset(hosts | LOOPBACK if public in LOOPBACK else hosts)


def host_name(header: str) -> str:
    """The name in a Host header, without the port or IPv6 brackets."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else ""
    name, _, port = header.rpartition(":")
    return name if name and port.isdigit() else header


class TrustedHost:
    """Refuse a Host header naming anyone else (400): nothing is built from a spoofed one.

    Starlette's TrustedHostMiddleware answers in English plain text; the panel speaks its envelope.
    """

    def __init__(self, app: ASGIApp, *, hosts: frozenset[str]) -> None:
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and scope["path"] not in PROBES:
            host = Headers(scope=scope).get("host", "")
            if host_name(host) not in self.hosts:
                await error_response(400, texts.BAD_HOST)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class BodyTooLarge(StarletteHTTPException):
    def __init__(self, limit: int) -> None:
        if limit >= 1024 * 1024 and limit % (1024 * 1024) == 0:
            detail = texts.TOO_LARGE.format(mb=limit // (1024 * 1024))
        else:
            detail = texts.TOO_LARGE_KB.format(kb=limit // 1024)
        super().__init__(413, detail)


class BodyLimits:
    """Refuse a body over its limit before anything parses it (413, in Polish): uploads
    (multipart) may be large, every other body is small."""

    def __init__(self, app: ASGIApp, *, max_upload: int, max_other: int) -> None:
        self.app = app
        self.max_upload = max_upload
        self.max_other = max_other

    def limit(self, scope: Scope, headers: Headers) -> int:
        if scope["path"] == SLACK_EVENTS:
            return max(SLACK_MAX_BYTES, self.max_other)
        multipart = headers.get("content-type", "").lower().startswith("multipart/form-data")
        return self.max_upload if multipart else self.max_other

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        limit = self.limit(scope, headers)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            too_large = BodyTooLarge(limit)
            await error_response(413, too_large.detail)(scope, receive, send)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge as error:  # raised in a guard, outside the routes' handlers
            if started:
                raise
            await error_response(413, error.detail)(scope, receive, send)
        except ClientDisconnect:  # gone mid-body (or cut off as too slow): nobody to answer
            log.debug("client went away while sending %s", scope["path"])


async def _read_body(receive: Receive) -> bytes | None:
    """The whole body, or None when the client went away first."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


class SlackSignatureFirst:
    """`/slack/events`: the signature is verified before anything parses the body; anything
    unsigned is a quiet 401, whatever it holds (bolt would parse it first and could fail)."""

    def __init__(self, app: ASGIApp, *, signing_secret: str) -> None:
        self.app = app
        self.verifier = SignatureVerifier(signing_secret)

    def signed(self, body: bytes, headers: Headers) -> bool:
        try:
            return self.verifier.is_valid_request(body, headers)
        except (ValueError, UnicodeDecodeError):  # a timestamp or body no signer produced
            return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != SLACK_EVENTS:
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        if body is None:
            return
        if not self.signed(body, Headers(scope=scope)):
            log.debug("refused an unsigned request to %s", SLACK_EVENTS)
            await error_response(401, texts.UNAUTHORIZED)(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)
