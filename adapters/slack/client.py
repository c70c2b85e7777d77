"""The Slack adapter: ChatAdapter on slack_sdk's AsyncWebClient, a per-channel rate limiter."""

# Slack cannot deduplicate by key, so every message carries the delivery key in its metadata and
# a retried delivery looks for an earlier copy (thread replies or channel history) before posting.

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
from fastapi import APIRouter
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.base import EventSink
from adapters.slack import translate
from adapters.slack.app import build_app, events_router, socket_mode
from bot.config import SlackConfig
from bot.errors import ConfigError, DeliveryError
from bot.events import Agent, CommandReply, InboundEvent, ThreadRef
from bot.views import AttachmentView, MessageView, TicketView

log = logging.getLogger(__name__)

# Errors a retry cannot fix: the item goes dead instead of backing off for hours.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "invalid_blocks",
        "invalid_blocks_format",
        "invalid_metadata_format",
        "invalid_metadata_schema",
        "msg_too_long",
        "no_text",
        "too_many_attachments",
        "message_not_found",
        "thread_not_found",  # the root message was deleted: the thread cannot come back
        "cant_update_message",
        "edit_window_closed",
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "missing_scope",
        "restricted_action",
        "invalid_arguments",
    }
)
HISTORY_LIMIT = 200  # how far back a retried root/announcement looks for its earlier copy
# Slack wants an answer within 3 s; work still running then goes on after the answer.
ACK_WITHIN = 2.5
STOP_GRACE = 10.0  # seconds stop() waits for inbound work that outlived its answer


class ChannelLimiter:
    """At most one message per `interval` seconds per channel; callers wait their turn.

    The next slot is measured from when the previous call *finished*, so the gaps Slack sees
    are never shorter than `interval`, whatever the network latency does. A longer hold (after
    a 429) is not waited out: the delivery goes back to the outbox with `retry_after`, so a
    worker pass never outlives its lease.
    """

    def __init__(self, interval: float, *, max_wait: float = 5.0) -> None:
        self.interval = interval
        self.max_wait = max_wait
        self._locks: dict[str, asyncio.Lock] = {}
        self._ready_at: dict[str, float] = {}

    @contextlib.asynccontextmanager
    async def slot(self, channel: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(channel, asyncio.Lock())
        async with lock:
            wait = self._ready_at.get(channel, 0.0) - time.monotonic()
            if wait > max(self.max_wait, self.interval):
                raise DeliveryError(f"channel {channel} rate limited", retry_after=wait)
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                yield
            finally:
                self._ready_at[channel] = max(
                    self._ready_at.get(channel, 0.0), time.monotonic() + self.interval
                )

    def hold(self, channel: str, seconds: float) -> None:
        """Slack said 429: nothing more to this channel for `seconds`."""
        self._ready_at[channel] = max(self._ready_at.get(channel, 0.0), time.monotonic() + seconds)


def _header(headers: Any, name: str) -> str | None:
    if not headers:
        return None
    for key, value in dict(headers).items():
        if key.lower() == name.lower():
            return value if isinstance(value, str) else str(value[0] if value else "")
    return None


def delivery_error(error: Exception) -> DeliveryError:
    """Translate what slack_sdk raised into the core's DeliveryError."""
    if isinstance(error, SlackApiError):
        response = error.response
        code = response.get("error") if response is not None else None
        status = getattr(response, "status_code", None)
        if status == 429 or code == "ratelimited":
            raw = _header(getattr(response, "headers", None), "Retry-After")
            try:
                retry_after = float(raw) if raw else 1.0
            except ValueError:
                retry_after = 1.0
            return DeliveryError(f"slack rate limited ({retry_after}s)", retry_after=retry_after)
        return DeliveryError(f"slack error {code or status}", permanent=code in PERMANENT_ERRORS)
    return DeliveryError(f"slack unreachable: {error!r}")


def _log_failure(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("Slack event failed after its answer", exc_info=task.exception())


class SlackAdapter:
    platform = "slack"

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
        self.token = token
        self.signing_secret = signing_secret
        self.app_token = app_token
        # Channels in explicit relay mode, where the "send to the shop" shortcut makes sense.
        self.reply_action_channels = reply_action_channels
        kwargs = {"base_url": config.api_base_url} if config.api_base_url else {}
        # No SDK-level retries: a post retried after a lost response would appear twice. The
        # outbox retries instead, and looks for the earlier copy first.
        self.client = AsyncWebClient(token=token, retry_handlers=[], **kwargs)
        self.limiter = ChannelLimiter(config.interval)
        self.ack_within = ACK_WITHIN
        self.on_event: EventSink | None = None
        self._names: dict[str, str] = {}
        self._background: set[asyncio.Task] = set()
        self._socket = None
        self._bolt: AsyncApp | None = None

    # -- lifecycle --------------------------------------------------------------------------

    @property
    def bolt(self) -> AsyncApp:
        if self._bolt is None:
            self._bolt = build_app(self)
        return self._bolt

    def events_router(self) -> APIRouter:
        """POST /slack/events for HTTP mode (signed requests, any instance can answer)."""
        return events_router(self.bolt)

    async def start(self, on_event: EventSink) -> None:
        self.on_event = on_event
        if self.config.mode == "socket":
            if not self.app_token:
                raise ConfigError("Slack in Socket Mode needs POMOC_SLACK_APP_TOKEN")
            self._socket = socket_mode(self.bolt, self.app_token)
            await self._socket.connect_async()

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None
        if self._background:
            _done, pending = await asyncio.wait(self._background, timeout=STOP_GRACE)
            for task in pending:
                task.cancel()
        self.on_event = None

    # -- inbound plumbing -------------------------------------------------------------------

    async def deliver(self, event: InboundEvent) -> CommandReply | None:
        if self.on_event is None:  # not started yet: fail, so Slack delivers it again
            raise RuntimeError("the Slack adapter is not started")
        return await self.on_event(event)

    async def settle(self, work: Awaitable[None]) -> None:
        """Run `work`, returning after at most `ack_within` seconds so bolt can answer Slack.

        Finished in time, its error propagates: bolt answers 500 and Slack redelivers (the desk's
        claim rolled back with the failed transaction). Still running, it goes on in the
        background and the answer is 200; a failure then can only be logged.
        """
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        done, _pending = await asyncio.wait({task}, timeout=self.ack_within)
        if task in done:
            task.result()
        else:
            task.add_done_callback(_log_failure)

    # -- outbound ---------------------------------------------------------------------------

    async def _api(self, call: Callable[[], Awaitable[Any]]) -> Any:
        try:
            return await call()
        except (SlackApiError, SlackClientError, aiohttp.ClientError, TimeoutError) as error:
            raise delivery_error(error) from error

    async def _post(self, channel: str, **kwargs: Any) -> str:
        async with self.limiter.slot(channel):
            try:
                response = await self.client.chat_postMessage(
                    channel=channel,
                    unfurl_links=False,
                    unfurl_media=False,
                    **kwargs,
                )
            except SlackApiError as error:
                failure = delivery_error(error)
                if failure.retry_after:
                    self.limiter.hold(channel, failure.retry_after)
                raise failure from error
            except (SlackClientError, aiohttp.ClientError, TimeoutError) as error:
                raise delivery_error(error) from error
        return response["ts"]

    async def _find(self, channel: str, key: str, thread_ts: str | None = None) -> str | None:
        """The ts of a message we posted earlier with this delivery key, if Slack has it."""
        if thread_ts is not None:
            response = await self._api(
                lambda: self.client.conversations_replies(
                    channel=channel, ts=thread_ts, include_all_metadata=True, limit=1000
                )
            )
        else:
            response = await self._api(
                lambda: self.client.conversations_history(
                    channel=channel, include_all_metadata=True, limit=HISTORY_LIMIT
                )
            )
        for message in response.get("messages") or []:
            if translate.metadata_key(message) == key:
                return message["ts"]
        return None

    async def _upload(
        self, channel: str, thread_ts: str, files: tuple[AttachmentView, ...]
    ) -> None:
        if not files:
            return
        try:
            uploads = [{"file": item.read(), "filename": item.filename} for item in files]
            async with self.limiter.slot(channel):
                await self.client.files_upload_v2(
                    file_uploads=uploads, channel=channel, thread_ts=thread_ts
                )
        except (SlackApiError, SlackClientError, aiohttp.ClientError, TimeoutError, OSError):
            # The message itself is delivered; the files stay reachable in the panel.
            log.exception("uploading %d file(s) to %s failed", len(files), channel)
        except DeliveryError as error:  # the channel is held after a 429
            log.warning("files for %s not uploaded: %s", channel, error)

    async def open_thread(
        self, *, channel: str, ticket: TicketView, key: str, retry: bool
    ) -> tuple[str, str]:
        if retry and (ts := await self._find(channel, key)):
            return ts, ts
        ts = await self._post(
            channel,
            text=translate.ticket_fallback(ticket),
            blocks=translate.ticket_blocks(ticket),
            metadata=translate.metadata(key),
        )
        await self._upload(channel, ts, ticket.attachments)
        return ts, ts

    async def update_root(self, *, thread: ThreadRef, root_id: str, ticket: TicketView) -> None:
        # chat.update has its own method tier, outside the per-channel posting budget.
        await self._api(
            lambda: self.client.chat_update(
                channel=thread.channel,
                ts=root_id,
                text=translate.ticket_fallback(ticket),
                blocks=translate.ticket_blocks(ticket),
            )
        )

    async def post(self, *, thread: ThreadRef, message: MessageView, key: str, retry: bool) -> str:
        if retry and (ts := await self._find(thread.channel, key, thread.thread_id)):
            return ts
        ts = await self._post(
            thread.channel,
            thread_ts=thread.thread_id,
            text=translate.message_text(message),
            blocks=translate.message_blocks(message),
            metadata=translate.metadata(key),
        )
        await self._upload(thread.channel, thread.thread_id, message.attachments)
        return ts

    async def announce(self, *, channel: str, text: str, key: str, retry: bool) -> str:
        if retry and (ts := await self._find(channel, key)):
            return ts
        return await self._post(
            channel,
            text=translate.escape(text),
            blocks=translate.announce_blocks(text),
            metadata=translate.metadata(key),
        )

    # -- inbound helpers --------------------------------------------------------------------

    async def display_name(self, user_id: str) -> str:
        """users.info, cached; the id itself when Slack cannot say."""
        if user_id in self._names:
            return self._names[user_id]
        try:
            response = await self.client.users_info(user=user_id)
        except (SlackApiError, SlackClientError, aiohttp.ClientError, TimeoutError):
            log.warning("users.info %s failed", user_id)
            return user_id
        user = response.get("user") or {}
        profile = user.get("profile") or {}
        name = (
            profile.get("display_name")
            or profile.get("real_name")
            or user.get("real_name")
            or user.get("name")
            or user_id
        )
        self._names[user_id] = name
        return name

    async def agent(self, user_id: str) -> Agent:
        return Agent(
            platform="slack", user_id=user_id, display_name=await self.display_name(user_id)
        )

    def allowed(self, user_id: str | None) -> bool:
        if not user_id:
            return False
        return not self.config.agents or user_id in self.config.agents

    async def plain_text(self, text: str) -> str:
        """Slack mrkdwn -> the text the shop reads, with mentions resolved to display names."""
        users = set(translate.mentioned_users(text))
        names = {user: await self.display_name(user) for user in users}
        return translate.to_plain(text, lambda user: names.get(user, user))

    async def download(self, url: str) -> bytes:
        headers = {"Authorization": f"Bearer {self.token}"}
        timeout = aiohttp.ClientTimeout(total=30)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(url, headers=headers) as response,
        ):
            response.raise_for_status()
            return await response.read()
