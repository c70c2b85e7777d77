"""Slack's sending side: posts, edits and uploads through slack_sdk, paced per channel."""

# Slack cannot deduplicate by key, so every message carries the delivery key in its metadata and
# a retried delivery looks for an earlier copy (thread replies or channel history) before posting.

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import translate
from bot.clock import SystemTimer, Timer
from bot.errors import DeliveryError, Failure
from bot.events import ThreadRef
from bot.views import AttachmentView, LinkView, MessageView, PictureView, TicketView
from bot.vocabulary import ChannelId, ExternalId, ThreadId

log = logging.getLogger(__name__)

# What Slack's error codes ask of us; any other code is tried again later, with backoff.
FAILURES: dict[str, Failure] = {
    # An operator must invite the bot, unarchive or fix the channel id: the lane pauses.
    **dict.fromkeys(
        ("not_in_channel", "channel_not_found", "is_archived", "restricted_action"),
        Failure.CHANNEL,
    ),
    # The token or the app's installation is broken: every channel of the workspace waits.
    **dict.fromkeys(
        (
            "invalid_auth",
            "not_authed",
            "account_inactive",
            "token_revoked",
            "token_expired",
            "missing_scope",
            "no_permission",
            "team_access_not_granted",
        ),
        Failure.PLATFORM,
    ),
    # The root message was deleted: a new root is opened for the ticket.
    **dict.fromkeys(("thread_not_found", "message_not_found"), Failure.THREAD_GONE),
    # This message as it is can never be posted.
    **dict.fromkeys(
        (
            "invalid_blocks",
            "invalid_blocks_format",
            "invalid_metadata_format",
            "invalid_metadata_schema",
            "msg_too_long",
            "msg_blocks_too_long",
            "no_text",
            "too_many_attachments",
            "cant_update_message",
            "edit_window_closed",
            "invalid_arguments",
        ),
        Failure.PERMANENT,
    ),
}
HISTORY_LIMIT = 200  # how far back a retried root/announcement looks for its earlier copy
# What a slack_sdk call raises: its own errors (SlackClientError, the base of SlackApiError)
# and the network's.
SDK_ERRORS = (SlackClientError, aiohttp.ClientError, TimeoutError)


class ChannelLimiter:
    """At most one message per `interval` seconds per channel; callers wait their turn.

    The next slot is measured from when the previous call *finished*, so the gaps Slack sees
    are never shorter than `interval`, whatever the network latency does. A longer hold (after
    a 429) is not waited out: the delivery goes back to the outbox with `retry_after`, so a
    worker pass never outlives its lease.
    """

    def __init__(self, interval: float, *, max_wait: float = 5.0, timer: Timer | None = None):
        self.interval = interval
        self.max_wait = max_wait
        self.timer = timer or SystemTimer()
        self._locks: dict[str, asyncio.Lock] = {}
        self._ready_at: dict[str, float] = {}

    @contextlib.asynccontextmanager
    async def slot(self, channel: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(channel, asyncio.Lock())
        async with lock:
            wait = self._ready_at.get(channel, 0.0) - self.timer.monotonic()
            if wait > max(self.max_wait, self.interval):
                raise DeliveryError(f"channel {channel} rate limited", retry_after=wait)
            if wait > 0:
                await self.timer.sleep(wait)
            try:
                yield
            finally:
                self._ready_at[channel] = max(
                    self._ready_at.get(channel, 0.0), self.timer.monotonic() + self.interval
                )

    def hold(self, channel: str, seconds: float) -> None:
        """Slack said 429: nothing more to this channel for `seconds`."""
        until = self.timer.monotonic() + seconds
        self._ready_at[channel] = max(self._ready_at.get(channel, 0.0), until)


def header(headers: Any, name: str) -> str | None:
    """A response header, whatever the case of its name."""
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
            raw = header(getattr(response, "headers", None), "Retry-After")
            try:
                retry_after = float(raw) if raw else 1.0
            except ValueError:
                retry_after = 1.0
            return DeliveryError(f"slack rate limited ({retry_after}s)", retry_after=retry_after)
        failure = FAILURES.get(code or "", Failure.TRANSIENT)
        return DeliveryError(f"slack error {code or status}", failure=failure, code=code)
    return DeliveryError(f"slack unreachable: {error!r}")


class SlackOutbound:
    def __init__(
        self, client: AsyncWebClient, limiter: ChannelLimiter, *, language: str = "pl"
    ) -> None:
        self.client = client
        self.limiter = limiter
        self.language = language  # of what agents read from Pomoc (bot/catalogue.py)

    async def _api(self, call: Callable[[], Awaitable[Any]]) -> Any:
        try:
            return await call()
        except SDK_ERRORS as error:
            raise delivery_error(error) from error

    async def _post(self, channel: str, **kwargs: Any) -> ExternalId:
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
            except SDK_ERRORS as error:
                raise delivery_error(error) from error
        return ExternalId(response["ts"])

    async def _posted_keys(self, channel: str, thread_ts: str | None = None) -> dict[str, str]:
        """Delivery key -> ts of the messages we posted earlier, as far as Slack lists them: a
        thread's replies, or the channel's recent history."""
        posted: dict[str, str] = {}
        for message in await self._messages(channel, thread_ts):
            key = translate.metadata_key(message)
            if key is not None and key not in posted:  # the first copy Slack lists
                posted[key] = str(message["ts"])
        return posted

    async def _messages(self, channel: str, thread_ts: str | None = None) -> list[dict[str, Any]]:
        """A thread's replies, or the channel's recent history, with our messages' metadata."""
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
        return list(response.get("messages") or [])

    async def _find(self, channel: str, key: str) -> str | None:
        """The ts of a root or announcement we posted earlier with this delivery key."""
        return (await self._posted_keys(channel)).get(key)

    async def _upload(
        self,
        channel: str,
        thread_ts: str,
        files: tuple[AttachmentView, ...],
        texts: tuple[tuple[str, str], ...] = (),
    ) -> None:
        """The files into the thread, and `texts` as (name, content) text files."""
        if not files and not texts:
            return
        try:
            uploads = [{"file": item.read(), "filename": item.filename} for item in files]
            uploads += [{"file": body.encode(), "filename": name} for name, body in texts]
            async with self.limiter.slot(channel):
                await self.client.files_upload_v2(
                    file_uploads=uploads, channel=channel, thread_ts=thread_ts
                )
        except (*SDK_ERRORS, OSError):
            # The message itself is delivered; the files stay reachable in the panel.
            log.exception("uploading %d file(s) to %s failed", len(files), channel)
        except DeliveryError as error:  # the channel is held after a 429
            log.warning("files for %s not uploaded: %s", channel, error)

    async def open_thread(
        self, *, channel: ChannelId, ticket: TicketView, key: str, retry: bool
    ) -> tuple[ThreadId, ExternalId]:
        if retry and (found := await self._find(channel, key)):
            return ThreadId(found), ExternalId(found)
        ts = await self._post(
            channel,
            text=translate.ticket_fallback(ticket, self.language),
            blocks=translate.ticket_blocks(ticket, self.language),
            metadata=translate.metadata(key),
        )
        # A description longer than the root holds goes whole into the thread, as a file.
        full = (
            () if translate.description_fits(ticket) else ((translate.FULL_TEXT_NAME, ticket.body),)
        )
        await self._upload(channel, ts, ticket.attachments, full)
        return ThreadId(ts), ts

    async def update_root(
        self, *, thread: ThreadRef, root_id: ExternalId, ticket: TicketView
    ) -> None:
        # chat.update has its own method tier, outside the per-channel posting budget.
        await self._api(
            lambda: self.client.chat_update(
                channel=thread.channel,
                ts=root_id,
                text=translate.ticket_fallback(ticket, self.language),
                blocks=translate.ticket_blocks(ticket, self.language),
            )
        )

    async def post(
        self, *, thread: ThreadRef, message: MessageView, key: str, retry: bool
    ) -> ExternalId:
        ids = []
        # A long text takes several posts, each with its own key, so a retry posts only the
        # parts Slack does not have yet.
        posted = await self._posted_keys(thread.channel, thread.thread_id) if retry else {}
        for part, (fallback, blocks) in enumerate(translate.message_posts(message, self.language)):
            part_key = key if part == 0 else f"{key}:part{part}"
            found = posted.get(part_key)
            ids.append(
                ExternalId(found)
                if found
                else await self._post(
                    thread.channel,
                    thread_ts=thread.thread_id,
                    text=fallback,
                    blocks=blocks,
                    metadata=translate.metadata(part_key),
                )
            )
        await self._upload(thread.channel, thread.thread_id, message.attachments)
        return ids[0]

    async def probe(self, *, channel: ChannelId | None) -> None:
        """auth.test for the workspace; conversations.info for a channel (member, not archived)."""
        if channel is None:
            await self._api(lambda: self.client.auth_test())
            return
        response = await self._api(lambda: self.client.conversations_info(channel=channel))
        info = response.get("channel") or {}
        for refused, code in (
            (info.get("is_archived"), "is_archived"),
            (not info.get("is_member", True), "not_in_channel"),
        ):
            if refused:
                raise DeliveryError(f"slack error {code}", failure=FAILURES[code], code=code)

    async def announce(
        self,
        *,
        channel: ChannelId,
        text: str,
        key: str,
        retry: bool,
        picture: PictureView | None = None,
        link: LinkView | None = None,
    ) -> ExternalId:
        # A retry reads the history once: the text is found by its key, the picture (which
        # follows it) by its filename.
        earlier = await self._messages(channel) if retry else []
        found = next((m["ts"] for m in earlier if translate.metadata_key(m) == key), None)
        ts = (
            ExternalId(found)
            if found
            else await self._post(
                channel,
                text=translate.announce_fallback(text, link),
                blocks=translate.announce_blocks(text, link),
                metadata=translate.metadata(key),
            )
        )
        if picture is not None and not (
            retry and translate.shared_picture(earlier, filename=picture.filename, after=ts)
        ):
            await self._share_picture(channel, picture)
        return ts

    async def _share_picture(self, channel: str, picture: PictureView) -> None:
        """Upload the picture into the channel. A transient failure is raised, so the outbox
        tries again (and finds the text already posted); any other leaves the text alone."""
        try:
            async with self.limiter.slot(channel):
                await self.client.files_upload_v2(
                    channel=channel,
                    file=picture.data,
                    filename=picture.filename,
                    title=picture.alt_text,
                    alt_txt=picture.alt_text,
                )
        except SDK_ERRORS as error:
            failure = delivery_error(error)
            if failure.retry_after:
                self.limiter.hold(channel, failure.retry_after)
            if failure.failure == Failure.TRANSIENT:
                raise failure from error
            log.warning("picture %s not shared in %s: %s", picture.filename, channel, failure)
