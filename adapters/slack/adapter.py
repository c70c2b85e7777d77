"""The Slack adapter: the core's ChatAdapter port over slack_sdk (outbound) and bolt (inbound)."""

import asyncio
import contextlib
import logging
import time
from typing import Any

from fastapi import APIRouter
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.inbound import (
    SlackInbound,
    build_app,
    events_router,
    handle_kept,
    socket_mode,
)
from adapters.slack.intake import Intake
from adapters.slack.outbound import SDK_ERRORS, ChannelLimiter, SlackOutbound
from bot.config import SlackConfig
from bot.ports import EventQueue, EventSink, QueuedEvent
from bot.vocabulary import Platform

log = logging.getLogger(__name__)

VERIFY_RETRY_SECONDS = 30.0
VERIFY_EVERY_SECONDS = 5.0


class SlackAdapter(SlackOutbound):
    """Sending is `SlackOutbound`'s; this adds the lifecycle and the inbound side."""

    platform = Platform.SLACK

    def __init__(
        self,
        config: SlackConfig,
        *,
        token: str,
        events: EventQueue,
        signing_secret: str | None = None,
        app_token: str | None = None,
        reply_action_channels: frozenset[str] = frozenset(),
        department_channels: frozenset[str] = frozenset(),
        language: str = "pl",
    ) -> None:
        self.config = config
        self.token = token
        base_url = config.api_base_url or AsyncWebClient.BASE_URL
        # No SDK-level retries: a post retried after a lost response would appear twice. The
        # outbox retries instead, and looks for the earlier copy first.
        self.client = AsyncWebClient(token=token, base_url=base_url, retry_handlers=[])
        super().__init__(self.client, ChannelLimiter(config.interval), language=language)
        self.inbound = SlackInbound(
            config,
            self.client,
            token=token,
            reply_action_channels=reply_action_channels,
            department_channels=department_channels,
            language=language,
        )
        self.intake = Intake(events, self._handle_kept)
        # bolt never calls auth.test itself (on failure it would answer 200 with an apology and
        # Slack would never redeliver): it gets the identity this adapter verified.

        async def authorize() -> AuthorizeResult:  # bolt passes a plain function its arguments
            return await self._authorize()

        self.bolt = build_app(
            self.inbound,
            self.intake.keep,
            signing_secret=signing_secret,
            authorize=authorize,
            client=AsyncWebClient(base_url=base_url, retry_handlers=[]),
        )
        self.identity: dict[str, Any] | None = None  # auth.test's answer, once it worked
        # Socket Mode needs the app token (checked when the adapters are built).
        self.app_token = app_token if config.mode == "socket" else None
        self._socket: AsyncSocketModeHandler | None = None
        self._connecting: asyncio.Task[None] | None = None
        self._verified_at = -VERIFY_EVERY_SECONDS

    async def _handle_kept(self, kept: QueuedEvent) -> None:
        await handle_kept(self.inbound, kept)

    async def verify(self) -> bool:
        """auth.test: whether the token works; the bot's identity is kept for bolt. Asked at
        most every few seconds while it fails (each refused event would ask again)."""
        if self.identity is not None:
            return True
        now = time.monotonic()
        if now - self._verified_at < VERIFY_EVERY_SECONDS:
            return False
        self._verified_at = now
        try:
            response = await self.client.auth_test()
        except SDK_ERRORS as error:
            log.error("Slack token not verified (%r): events are refused until it works", error)
            return False
        self.identity = dict(response.data) if isinstance(response.data, dict) else {}
        return True

    async def _authorize(self) -> AuthorizeResult:
        if self.identity is None and not await self.verify():
            raise RuntimeError("the Slack token is not verified")
        identity = self.identity or {}
        return AuthorizeResult(
            enterprise_id=identity.get("enterprise_id"),
            team_id=identity.get("team_id"),
            bot_token=self.token,
            bot_id=identity.get("bot_id"),
            bot_user_id=identity.get("user_id"),
        )

    def router(self) -> APIRouter | None:
        """POST /slack/events in HTTP mode (signed requests, any instance can answer)."""
        return events_router(self.bolt, ready=self.verify) if self.config.mode == "http" else None

    async def start(self, on_event: EventSink) -> None:
        self.inbound.on_event = on_event
        await self.verify()
        self.intake.start()
        if self.app_token is not None:
            self._connecting = asyncio.create_task(self._connect(self.app_token))

    async def _connect(self, app_token: str) -> None:
        """Socket Mode only once the token works: an event taken in before could not be kept."""
        while not await self.verify():
            await asyncio.sleep(VERIFY_RETRY_SECONDS)
        self._socket = socket_mode(self.bolt, app_token)
        await self._socket.connect_async()  # type: ignore[no-untyped-call]

    async def stop(self) -> None:
        if self._connecting is not None:
            if not self._connecting.done():
                self._connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._connecting
            self._connecting = None
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None
        await self.intake.stop()
        self.inbound.on_event = None
