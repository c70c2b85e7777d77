"""The Slack adapter: the core's ChatAdapter port over slack_sdk (outbound) and bolt (inbound)."""

from fastapi import APIRouter
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.inbound import SlackInbound, build_app, events_router, socket_mode
from adapters.slack.outbound import ChannelLimiter, SlackOutbound
from bot.config import SlackConfig
from bot.ports import EventSink
from bot.vocabulary import Platform


class SlackAdapter(SlackOutbound):
    """Sending is `SlackOutbound`'s; this adds the lifecycle and the inbound side."""

    platform = Platform.SLACK

    def __init__(
        self,
        config: SlackConfig,
        *,
        token: str,
        signing_secret: str | None = None,
        app_token: str | None = None,
        reply_action_channels: frozenset[str] = frozenset(),
    ) -> None:
        self.config = config
        base_url = config.api_base_url or AsyncWebClient.BASE_URL
        # No SDK-level retries: a post retried after a lost response would appear twice. The
        # outbox retries instead, and looks for the earlier copy first.
        self.client = AsyncWebClient(token=token, base_url=base_url, retry_handlers=[])
        super().__init__(self.client, ChannelLimiter(config.interval))
        self.inbound = SlackInbound(
            config, self.client, token=token, reply_action_channels=reply_action_channels
        )
        self.bolt = build_app(self.inbound, signing_secret=signing_secret)
        # Socket Mode needs the app token (checked when the adapters are built).
        self.app_token = app_token if config.mode == "socket" else None
        self._socket: AsyncSocketModeHandler | None = None

    def router(self) -> APIRouter | None:
        """POST /slack/events in HTTP mode (signed requests, any instance can answer)."""
        return events_router(self.bolt) if self.config.mode == "http" else None

    async def start(self, on_event: EventSink) -> None:
        self.inbound.on_event = on_event
        if self.app_token is not None:
            self._socket = socket_mode(self.bolt, self.app_token)
            await self._socket.connect_async()  # type: ignore[no-untyped-call]

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None
        await self.inbound.drain()
