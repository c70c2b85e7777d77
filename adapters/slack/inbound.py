"""Slack's receiving side: bolt listeners, the Events API router and Socket Mode."""

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import aiohttp
from fastapi import APIRouter, Request, Response
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import translate
from adapters.slack.outbound import NETWORK_ERRORS
from bot.commands import BUTTONS
from bot.config import SlackConfig
from bot.events import Agent, AgentCommand, CommandReply, InboundEvent, InboundFile
from bot.ports import EventSink
from bot.vocabulary import Platform, UserId

log = logging.getLogger(__name__)

NOT_ALLOWED = "Nie jesteś na liście agentów Pomocy."
REPLY_SENT = "Wysłano do sklepu."
REPLY_OWN_ONLY = "Do sklepu możesz wysłać tylko swoją wiadomość z wątku zgłoszenia."
REPLY_NOT_NEEDED = "Na tym kanale każda wiadomość agenta i tak trafia do sklepu."
MAX_DOWNLOAD = 50 * 1024 * 1024
HANDLED_SUBTYPES = (None, "file_share", "thread_broadcast")
# Slack wants an answer within 3 s; work still running then goes on after the answer.
ACK_WITHIN = 2.5
STOP_GRACE = 10.0  # seconds stop() waits for inbound work that outlived its answer


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("Slack event failed after its answer", exc_info=task.exception())


class SlackInbound:
    """Turns Slack's events into the core's, for agents the configuration allows."""

    def __init__(
        self,
        config: SlackConfig,
        client: AsyncWebClient,
        *,
        token: str,
        reply_action_channels: frozenset[str],
    ) -> None:
        self.config = config
        self.client = client
        self.token = token
        # Channels in explicit relay mode, where the "send to the shop" shortcut makes sense.
        self.reply_action_channels = reply_action_channels
        self.ack_within = ACK_WITHIN
        self.on_event: EventSink | None = None
        self._names: dict[str, str] = {}
        self._background: set[asyncio.Task[None]] = set()

    async def drain(self) -> None:
        """Give inbound work that outlived its answer a moment to finish."""
        if self._background:
            _done, pending = await asyncio.wait(self._background, timeout=STOP_GRACE)
            for task in pending:
                task.cancel()
        self.on_event = None

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
        task: asyncio.Task[None] = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        done, _pending = await asyncio.wait({task}, timeout=self.ack_within)
        if task in done:
            task.result()
        else:
            task.add_done_callback(_log_failure)

    async def display_name(self, user_id: str) -> str:
        """users.info, cached; the id itself when Slack cannot say."""
        if user_id in self._names:
            return self._names[user_id]
        try:
            response = await self.client.users_info(user=user_id)
        except (SlackApiError, *NETWORK_ERRORS):
            log.warning("users.info %s failed", user_id)
            return user_id
        name = translate.user_name(response.get("user") or {}) or user_id
        self._names[user_id] = name
        return name

    async def agent(self, user_id: str) -> Agent:
        name = await self.display_name(user_id)
        return Agent(platform=Platform.SLACK, user_id=UserId(user_id), display_name=name)

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


def build_app(inbound: SlackInbound, *, signing_secret: str | None) -> AsyncApp:
    # process_before_response: bolt answers Slack only when a listener returns, so an error
    # becomes a 500 and Slack redelivers. Every listener hands its work to `inbound.settle`,
    # which returns within the 3 s Slack allows and lets slow work (big files) finish after.
    app = AsyncApp(
        client=inbound.client,
        signing_secret=signing_secret or "",
        process_before_response=True,
        raise_error_for_unhandled_request=False,
    )

    @app.event("message")
    async def on_message(body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
        # Slack's event_id is the dedupe key: a retry carries the same one, and the desk's
        # atomic claim applies it once. Retries are never dropped by their header.
        work = handle_message(inbound, body["event_id"], event, context.get("bot_user_id"))
        await inbound.settle(work)

    @app.action(re.compile("^(" + "|".join(BUTTONS) + ")$"))
    async def on_button(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        command = partial(translate.action_command, body, action)
        await inbound.settle(run_command(inbound, body["user"]["id"], respond, command))

    @app.command("/pomoc")
    async def on_command(ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        build = partial(translate.slash_command, command)
        await inbound.settle(run_command(inbound, command["user_id"], respond, build))

    @app.message_shortcut(translate.REPLY_SHORTCUT)
    async def on_reply_shortcut(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        await inbound.settle(handle_reply_shortcut(inbound, body, respond))

    return app


async def ephemeral(respond: AsyncRespond, text: str) -> None:
    """An answer only the agent who clicked or typed sees (through the response_url)."""
    try:
        await respond(
            text=translate.escape(text), response_type="ephemeral", replace_original=False
        )
    except (aiohttp.ClientError, TimeoutError):  # the command is applied: no redelivery for it
        log.warning("answering an agent through response_url failed", exc_info=True)


async def run_command(
    inbound: SlackInbound,
    user: str,
    respond: AsyncRespond,
    command: Callable[[Agent], AgentCommand],
) -> None:
    """A button or `/pomoc`: applied by the desk, answered to the agent alone."""
    if not inbound.allowed(user):
        await ephemeral(respond, NOT_ALLOWED)
        return
    reply = await inbound.deliver(command(await inbound.agent(user)))
    if reply is not None:
        await ephemeral(respond, reply.text)


async def handle_reply_shortcut(
    inbound: SlackInbound, body: dict[str, Any], respond: AsyncRespond
) -> None:
    """The shortcut that sends an agent's own thread message (a note, in explicit mode) on."""
    user = body["user"]["id"]
    message = body.get("message") or {}
    channel = body["channel"]["id"]
    if not inbound.allowed(user):
        await ephemeral(respond, NOT_ALLOWED)
        return
    if (
        message.get("user") != user
        or translate.is_from_bot(message)
        or not translate.is_thread_reply(message)
    ):
        await ephemeral(respond, REPLY_OWN_ONLY)
        return
    if channel not in inbound.reply_action_channels:
        await ephemeral(respond, REPLY_NOT_NEEDED)  # sending it again would duplicate it
        return
    text = await inbound.plain_text(message.get("text") or "")
    files = await download_files(inbound, message.get("files") or [])
    event = translate.reply_action(channel, message, await inbound.agent(user), text, files)
    reply = await inbound.deliver(event)
    await ephemeral(respond, reply.text if reply is not None else REPLY_SENT)


async def handle_message(
    inbound: SlackInbound, event_id: str, event: dict[str, Any], bot_user_id: str | None
) -> None:
    subtype = event.get("subtype")
    if subtype == "message_changed":
        await _edited(inbound, event_id, event, bot_user_id)
    elif subtype == "message_deleted":
        await _deleted(inbound, event_id, event, bot_user_id)
    elif subtype in HANDLED_SUBTYPES:
        await _posted(inbound, event_id, event, bot_user_id)


def _from_agent(inbound: SlackInbound, message: dict[str, Any], bot_user_id: str | None) -> bool:
    """A human agent's reply in a thread: not our echo, not another bot, not a stranger."""
    return (
        not translate.is_from_bot(message, bot_user_id)
        and translate.is_thread_reply(message)
        and inbound.allowed(message.get("user"))
    )


async def _posted(
    inbound: SlackInbound, event_id: str, event: dict[str, Any], bot_user_id: str | None
) -> None:
    if not _from_agent(inbound, event, bot_user_id):
        return
    agent = await inbound.agent(event["user"])
    text = await inbound.plain_text(event.get("text") or "")
    files = await download_files(inbound, event.get("files") or [])
    reply = await inbound.deliver(translate.thread_message(event_id, event, agent, text, files))
    if reply is None:
        return
    try:  # a command's answer: for agents only, never in the thread
        await inbound.client.chat_postEphemeral(
            channel=event["channel"],
            user=event["user"],
            thread_ts=event["thread_ts"],
            text=translate.escape(reply.text),
        )
    except (SlackApiError, *NETWORK_ERRORS):
        log.warning("ephemeral answer to %s failed", event["user"], exc_info=True)


async def _edited(
    inbound: SlackInbound, event_id: str, event: dict[str, Any], bot_user_id: str | None
) -> None:
    message = event.get("message") or {}
    previous = event.get("previous_message") or {}
    # Slack also sends message_changed for unfurls and reply counts: same text, nothing to do.
    if not _from_agent(inbound, message, bot_user_id) or message.get("text") == previous.get(
        "text"
    ):
        return
    agent = await inbound.agent(message["user"])
    text = await inbound.plain_text(message.get("text") or "")
    await inbound.deliver(translate.edited_message(event_id, event, agent, text))


async def _deleted(
    inbound: SlackInbound, event_id: str, event: dict[str, Any], bot_user_id: str | None
) -> None:
    previous = event.get("previous_message") or {}
    if translate.is_from_bot(previous, bot_user_id) or not inbound.allowed(previous.get("user")):
        return
    agent = await inbound.agent(previous["user"])
    await inbound.deliver(translate.deleted_message(event_id, event, agent))


async def download_files(
    inbound: SlackInbound, files: list[dict[str, Any]]
) -> tuple[InboundFile, ...]:
    result = []
    for item in files:
        url = item.get("url_private_download") or item.get("url_private")
        if not url or int(item.get("size") or 0) > MAX_DOWNLOAD:
            continue
        try:
            data = await inbound.download(url)
        except Exception:  # one unreachable file must not lose the message
            log.exception("downloading Slack file %s failed", item.get("id"))
            continue
        result.append(
            InboundFile(
                filename=item.get("name") or item.get("title") or "plik",
                content_type=item.get("mimetype") or "application/octet-stream",
                data=data,
            )
        )
    return tuple(result)


def events_router(bolt: AsyncApp) -> APIRouter:
    """POST /slack/events: Events API, interactivity and the slash command share one URL."""
    router = APIRouter()
    handler = AsyncSlackRequestHandler(bolt)

    @router.post("/slack/events", include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        response: Response = await handler.handle(request)
        return response

    return router


def socket_mode(bolt: AsyncApp, app_token: str) -> AsyncSocketModeHandler:
    """A websocket to Slack (apps.connections.open): no public URL needed."""
    return AsyncSocketModeHandler(bolt, app_token)
