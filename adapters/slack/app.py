"""The Slack inbound side: bolt AsyncApp listeners, the Events API router and Socket Mode."""

import logging
import re
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

import aiohttp
from fastapi import APIRouter, Request, Response
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError, SlackClientError

from adapters.slack import translate
from bot.events import Agent, AgentCommand, InboundFile

if TYPE_CHECKING:
    from adapters.slack.client import SlackAdapter

log = logging.getLogger(__name__)

NOT_ALLOWED = "Nie jesteś na liście agentów Pomocy."
REPLY_SENT = "Wysłano do sklepu."
REPLY_OWN_ONLY = "Do sklepu możesz wysłać tylko swoją wiadomość z wątku zgłoszenia."
REPLY_NOT_NEEDED = "Na tym kanale każda wiadomość agenta i tak trafia do sklepu."
MAX_DOWNLOAD = 50 * 1024 * 1024
HANDLED_SUBTYPES = (None, "file_share", "thread_broadcast")


def build_app(adapter: "SlackAdapter") -> AsyncApp:
    # process_before_response: bolt answers Slack only when a listener returns, so an error
    # becomes a 500 and Slack redelivers. Every listener hands its work to `adapter.settle`,
    # which returns within the 3 s Slack allows and lets slow work (big files) finish after.
    app = AsyncApp(
        client=adapter.client,
        signing_secret=adapter.signing_secret or "",
        process_before_response=True,
        raise_error_for_unhandled_request=False,
    )

    @app.event("message")
    async def on_message(body: dict, event: dict, context: dict) -> None:
        # Slack's event_id is the dedupe key: a retry carries the same one, and the desk's
        # atomic claim applies it once. Retries are never dropped by their header.
        work = handle_message(adapter, body["event_id"], event, context.get("bot_user_id"))
        await adapter.settle(work)

    @app.action(re.compile("^(" + "|".join(translate.ACTIONS) + ")$"))
    async def on_button(ack: AsyncAck, body: dict, action: dict, respond: AsyncRespond) -> None:
        await ack()
        command = partial(translate.action_command, body, action)
        await adapter.settle(run_command(adapter, body["user"]["id"], respond, command))

    @app.command("/pomoc")
    async def on_command(ack: AsyncAck, command: dict, respond: AsyncRespond) -> None:
        await ack()
        build = partial(translate.slash_command, command)
        await adapter.settle(run_command(adapter, command["user_id"], respond, build))

    @app.message_shortcut(translate.REPLY_SHORTCUT)
    async def on_reply_shortcut(ack: AsyncAck, body: dict, respond: AsyncRespond) -> None:
        await ack()
        await adapter.settle(handle_reply_shortcut(adapter, body, respond))

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
    adapter: "SlackAdapter",
    user: str,
    respond: AsyncRespond,
    command: Callable[[Agent], AgentCommand],
) -> None:
    """A button or `/pomoc`: applied by the desk, answered to the agent alone."""
    if not adapter.allowed(user):
        await ephemeral(respond, NOT_ALLOWED)
        return
    reply = await adapter.deliver(command(await adapter.agent(user)))
    if reply is not None:
        await ephemeral(respond, reply.text)


async def handle_reply_shortcut(adapter: "SlackAdapter", body: dict, respond: AsyncRespond) -> None:
    """The shortcut that sends an agent's own thread message (a note, in explicit mode) on."""
    user = body["user"]["id"]
    message = body.get("message") or {}
    channel = body["channel"]["id"]
    if not adapter.allowed(user):
        await ephemeral(respond, NOT_ALLOWED)
        return
    if (
        message.get("user") != user
        or translate.is_from_bot(message)
        or not translate.is_thread_reply(message)
    ):
        await ephemeral(respond, REPLY_OWN_ONLY)
        return
    if channel not in adapter.reply_action_channels:
        await ephemeral(respond, REPLY_NOT_NEEDED)  # sending it again would duplicate it
        return
    text = await adapter.plain_text(message.get("text") or "")
    files = await download_files(adapter, message.get("files") or [])
    event = translate.reply_action(channel, message, await adapter.agent(user), text, files)
    reply = await adapter.deliver(event)
    await ephemeral(respond, reply.text if reply is not None else REPLY_SENT)


async def handle_message(
    adapter: "SlackAdapter", event_id: str, event: dict, bot_user_id: str | None
) -> None:
    subtype = event.get("subtype")
    if subtype == "message_changed":
        await _edited(adapter, event_id, event, bot_user_id)
    elif subtype == "message_deleted":
        await _deleted(adapter, event_id, event, bot_user_id)
    elif subtype in HANDLED_SUBTYPES:
        await _posted(adapter, event_id, event, bot_user_id)


def _from_agent(adapter: "SlackAdapter", message: dict, bot_user_id: str | None) -> bool:
    """A human agent's reply in a thread: not our echo, not another bot, not a stranger."""
    return (
        not translate.is_from_bot(message, bot_user_id)
        and translate.is_thread_reply(message)
        and adapter.allowed(message.get("user"))
    )


async def _posted(
    adapter: "SlackAdapter", event_id: str, event: dict, bot_user_id: str | None
) -> None:
    if not _from_agent(adapter, event, bot_user_id):
        return
    agent = await adapter.agent(event["user"])
    text = await adapter.plain_text(event.get("text") or "")
    files = await download_files(adapter, event.get("files") or [])
    reply = await adapter.deliver(translate.thread_message(event_id, event, agent, text, files))
    if reply is None:
        return
    try:  # a command's answer: for agents only, never in the thread
        await adapter.client.chat_postEphemeral(
            channel=event["channel"],
            user=event["user"],
            thread_ts=event["thread_ts"],
            text=translate.escape(reply.text),
        )
    except (SlackApiError, SlackClientError, aiohttp.ClientError, TimeoutError):
        log.warning("ephemeral answer to %s failed", event["user"], exc_info=True)


async def _edited(
    adapter: "SlackAdapter", event_id: str, event: dict, bot_user_id: str | None
) -> None:
    message = event.get("message") or {}
    previous = event.get("previous_message") or {}
    # Slack also sends message_changed for unfurls and reply counts: same text, nothing to do.
    if not _from_agent(adapter, message, bot_user_id) or message.get("text") == previous.get(
        "text"
    ):
        return
    agent = await adapter.agent(message["user"])
    text = await adapter.plain_text(message.get("text") or "")
    await adapter.deliver(translate.edited_message(event_id, event, agent, text))


async def _deleted(
    adapter: "SlackAdapter", event_id: str, event: dict, bot_user_id: str | None
) -> None:
    previous = event.get("previous_message") or {}
    if translate.is_from_bot(previous, bot_user_id) or not adapter.allowed(previous.get("user")):
        return
    agent = await adapter.agent(previous["user"])
    await adapter.deliver(translate.deleted_message(event_id, event, agent))


async def download_files(adapter: "SlackAdapter", files: list[dict]) -> tuple[InboundFile, ...]:
    result = []
    for item in files:
        url = item.get("url_private_download") or item.get("url_private")
        if not url or int(item.get("size") or 0) > MAX_DOWNLOAD:
            continue
        try:
            data = await adapter.download(url)
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
        return await handler.handle(request)

    return router


def socket_mode(bolt: AsyncApp, app_token: str) -> AsyncSocketModeHandler:
    """A websocket to Slack (apps.connections.open): no public URL needed."""
    return AsyncSocketModeHandler(bolt, app_token)
