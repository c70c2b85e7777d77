"""Slack's receiving side: bolt listeners, the Events API router and Socket Mode."""

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from fastapi import APIRouter, Request, Response
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import blocks, translate
from adapters.slack.files import download_files
from adapters.slack.members import Members
from adapters.slack.outbound import SDK_ERRORS
from bot import catalogue as cat
from bot import richtext, texts
from bot.commands import BUTTONS
from bot.config import SlackConfig
from bot.events import Agent, AgentCommand, CommandReply, InboundEvent
from bot.ports import EventSink, QueuedEvent
from bot.richtext import RichText
from bot.vocabulary import ChannelId, Platform, UserId

log = logging.getLogger(__name__)

HANDLED_SUBTYPES = (None, "file_share", "thread_broadcast", "me_message")
Keep = Callable[..., Awaitable[None]]  # Intake.keep: event_id, kind, channel, payload
Authorize = Callable[..., Awaitable[AuthorizeResult]]


class SlackInbound:
    """Turns Slack's events into the core's, for agents the configuration allows."""

    def __init__(
        self,
        config: SlackConfig,
        client: AsyncWebClient,
        *,
        token: str,
        reply_action_channels: frozenset[str],
        department_channels: frozenset[str] = frozenset(),
        language: str = "pl",
    ) -> None:
        self.config = config
        self.client = client
        self.token = token
        self.language = language
        # Channels in explicit relay mode, where the "send to the shop" shortcut makes sense.
        self.reply_action_channels = reply_action_channels
        # Only members of the department channels may act, and only on their channels' tickets.
        self.members = Members(client, department_channels)
        # The API's own host (an emulator in tests) may get the token like Slack's file hosts.
        api_host = urlsplit(config.api_base_url).netloc if config.api_base_url else ""
        self.file_hosts = frozenset({api_host} - {""})
        self.on_event: EventSink | None = None
        self._names: dict[str, str] = {}
        self._channels: dict[str, str] = {}

    def text(self, entry: cat.Entry) -> str:
        return cat.text(entry, self.language)

    async def deliver(self, event: InboundEvent) -> CommandReply | None:
        if self.on_event is None:  # not started yet: fail, so Slack delivers it again
            raise RuntimeError("the Slack adapter is not started")
        return await self.on_event(event)

    async def display_name(self, user_id: str) -> str:
        """users.info, cached; "Konsultant" when Slack cannot say (never the raw id)."""
        if user_id in self._names:
            return self._names[user_id]
        try:
            response = await self.client.users_info(user=user_id)
        except SDK_ERRORS:
            log.warning("users.info %s failed", user_id)
            return texts.AGENT  # not cached: the next message asks again
        name = blocks.user_name(response.get("user") or {}) or texts.AGENT
        self._names[user_id] = name
        return name

    async def channel_name(self, channel_id: str) -> str:
        """conversations.info, cached; a neutral word when Slack cannot say."""
        if channel_id in self._channels:
            return self._channels[channel_id]
        try:
            response = await self.client.conversations_info(channel=channel_id)
        except SDK_ERRORS:
            log.warning("conversations.info %s failed", channel_id)
            return texts.CHANNEL
        name = str((response.get("channel") or {}).get("name") or texts.CHANNEL)
        self._channels[channel_id] = name
        return name

    async def agent(self, user_id: str) -> Agent:
        name = await self.display_name(user_id)
        return Agent(platform=Platform.SLACK, user_id=UserId(user_id), display_name=name)

    def listed(self, user_id: str | None) -> bool:
        """Not excluded by `[slack] agents` (an empty list excludes nobody)."""
        return bool(user_id) and (not self.config.agents or user_id in self.config.agents)

    def writes_in(self, channel: str | None, user_id: str | None) -> bool:
        """An agent's message in a department channel (writing there shows membership)."""
        return channel in self.members.channels and self.listed(user_id)

    async def may_act(self, user_id: str) -> frozenset[str]:
        """The department channels whose tickets `user_id` may act on (none: not an agent)."""
        if not self.listed(user_id):
            return frozenset()
        return await self.members.channels_of(user_id)

    async def agents(self, user_ids: list[str]) -> tuple[Agent, ...]:
        """The people these ids name, in order (an id mentioned twice is there twice)."""
        return tuple([await self.agent(user) for user in user_ids])

    async def text_of(self, message: dict[str, Any]) -> tuple[RichText, tuple[Agent, ...]]:
        """A message's text, with names for the ids it mentions, and the people it mentions."""
        users, channels = blocks.mentions_of(message)
        people = await self.agents(users)
        names = blocks.Names(
            users={person.user_id: person.display_name for person in people},
            channels={channel: await self.channel_name(channel) for channel in channels},
        )
        return blocks.rich_text(message, names), people

    async def said(
        self, message: dict[str, Any], agent: Agent, bot_user_id: str | None
    ) -> translate.Said:
        """An agent's message as the shop would read it, its files, whom it mentions."""
        rich, people = await self.text_of(message)
        if message.get("subtype") == "me_message":  # `/me checks` reads "Anna checks"
            rich = richtext.prepend(rich, agent.display_name)
        files, unavailable = await download_files(
            self.client, message.get("files") or [], token=self.token, hosts=self.file_hosts
        )
        return translate.Said(
            rich=rich,
            files=files,
            unavailable=unavailable,
            mentions=tuple(p for p in people if p.user_id != bot_user_id),
            to_colleague=blocks.opens_with_colleague(message, bot_user_id),
        )


def build_app(
    inbound: SlackInbound,
    keep: Keep,
    *,
    signing_secret: str | None,
    authorize: Authorize,
    client: AsyncWebClient,
) -> AsyncApp:
    """Every listener only keeps its event (`keep`, durable) and lets bolt answer: the work is
    done by `handle_kept`, in the answer's background or later by the intake's worker.

    `client` carries no token: bolt gets the bot's from `authorize`."""
    app = AsyncApp(
        client=client,
        signing_secret=signing_secret or "",
        process_before_response=True,
        raise_error_for_unhandled_request=False,
        authorize=authorize,
    )

    @app.event("message")
    async def on_message(body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
        # Slack's event_id is the dedupe key: a retry carries the same one, and the desk's
        # atomic claim applies it once. Retries are never dropped by their header.
        payload = {"event": event, "bot_user_id": context.get("bot_user_id")}
        channel = str(event.get("channel") or "")
        await keep(event_id=body["event_id"], kind="message", channel=channel, payload=payload)

    @app.event("member_joined_channel")
    async def on_join(event: dict[str, Any]) -> None:
        inbound.members.joined(event["channel"], event["user"])

    @app.event("member_left_channel")
    async def on_leave(event: dict[str, Any]) -> None:
        inbound.members.left(event["channel"], event["user"])

    @app.action(re.compile("^(" + "|".join(BUTTONS) + ")$"))
    async def on_button(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        stamp = action.get("action_ts") or body.get("trigger_id") or ""
        event_id = f"action:{body['user']['id']}:{action['action_id']}:{stamp}"
        channel = str((body.get("channel") or {}).get("id") or "")
        payload = {"body": body, "action": action}
        await keep(event_id=event_id, kind="action", channel=channel, payload=payload)

    @app.command("/pomoc")
    async def on_command(ack: AsyncAck, command: dict[str, Any]) -> None:
        await ack()
        event_id, channel = f"command:{command['trigger_id']}", command.get("channel_id") or ""
        await keep(event_id=event_id, kind="command", channel=channel, payload={"command": command})

    @app.message_shortcut(translate.REPLY_SHORTCUT)
    async def on_reply_shortcut(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        channel = body["channel"]["id"]
        event_id = f"reply:{channel}:{(body.get('message') or {}).get('ts')}"
        await keep(event_id=event_id, kind="shortcut", channel=channel, payload={"body": body})

    return app


async def handle_kept(inbound: SlackInbound, kept: QueuedEvent) -> None:
    """Do what a kept event asks: the same whether right after its answer or later."""
    data = kept.payload
    if kept.kind == "message":
        await handle_message(inbound, kept.event_id, data["event"], data.get("bot_user_id"))
        return
    body = data.get("body") or data.get("command") or {}
    respond = AsyncRespond(response_url=body.get("response_url"))
    if kept.kind == "shortcut":
        await handle_reply_shortcut(inbound, kept.event_id, body, respond)
    elif kept.kind == "action":
        action = data["action"]

        async def pressed(agent: Agent) -> AgentCommand:
            return translate.action_command(kept.event_id, action, agent)

        await run_command(inbound, body["user"]["id"], respond, pressed)
    elif kept.kind == "command":

        async def typed(agent: Agent) -> AgentCommand:
            people = await inbound.agents(blocks.mentioned_users(body.get("text") or ""))
            return translate.slash_command(kept.event_id, body, agent, people)

        await run_command(inbound, body["user_id"], respond, typed)


async def ephemeral(respond: AsyncRespond, answer: CommandReply | str) -> None:
    """An answer only the agent who clicked or typed sees (through the response_url)."""
    reply = CommandReply(answer) if isinstance(answer, str) else answer
    extra: dict[str, Any] = {}
    if reply.choices:  # the tickets to pick, as buttons
        extra["blocks"] = translate.choice_blocks(reply)
    try:
        await respond(
            text=translate.escape(reply.text),
            response_type="ephemeral",
            replace_original=False,
            **extra,
        )
    except (aiohttp.ClientError, TimeoutError):  # the command is applied: no redelivery for it
        log.warning("answering an agent through response_url failed", exc_info=True)


async def run_command(
    inbound: SlackInbound,
    user: str,
    respond: AsyncRespond,
    command: Callable[[Agent], Awaitable[AgentCommand]],
) -> None:
    """A button or `/pomoc`: applied by the desk, answered to the agent alone."""
    member_of = await inbound.may_act(user)
    if not member_of:
        await ephemeral(respond, inbound.text(cat.NOT_AN_AGENT))
        return
    built = await command(await inbound.agent(user))
    scoped = replace(built, member_of=frozenset(ChannelId(c) for c in member_of))
    reply = await inbound.deliver(scoped)
    if reply is not None:
        await ephemeral(respond, reply)


async def handle_reply_shortcut(
    inbound: SlackInbound, event_id: str, body: dict[str, Any], respond: AsyncRespond
) -> None:
    """The shortcut that sends an agent's own thread message (a note, in explicit mode) on."""
    user = body["user"]["id"]
    message = body.get("message") or {}
    channel = body["channel"]["id"]
    if not inbound.writes_in(channel, user):
        await ephemeral(respond, inbound.text(cat.NOT_AN_AGENT))
        return
    if (
        message.get("user") != user
        or translate.is_from_bot(message)
        or not translate.is_thread_reply(message)
    ):
        await ephemeral(respond, inbound.text(cat.REPLY_OWN_ONLY))
        return
    if channel not in inbound.reply_action_channels:
        await ephemeral(respond, inbound.text(cat.REPLY_NOT_NEEDED))  # it would be doubled
        return
    agent = await inbound.agent(user)
    said = await inbound.said(message, agent, None)
    reply = await inbound.deliver(translate.reply_action(event_id, channel, message, agent, said))
    await ephemeral(respond, reply if reply is not None else inbound.text(cat.REPLY_SENT))


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


def _from_agent(
    inbound: SlackInbound, channel: str | None, message: dict[str, Any], bot_user_id: str | None
) -> bool:
    """A human agent's reply in a thread of a department channel: not our echo, not another
    bot, not a stranger."""
    return (
        not translate.is_from_bot(message, bot_user_id)
        and translate.is_thread_reply(message)
        and inbound.writes_in(channel, message.get("user"))
    )


async def _answer(
    inbound: SlackInbound,
    reply: CommandReply | None,
    *,
    channel: str,
    message: Mapping[str, Any],
) -> None:
    """The core's answer, if any, in the message's thread, for its author alone (never for
    the shop)."""
    if reply is None:
        return
    user = message["user"]
    try:
        await inbound.client.chat_postEphemeral(
            channel=channel,
            user=user,
            thread_ts=message["thread_ts"],
            text=translate.escape(reply.text),
        )
    except SDK_ERRORS:
        log.warning("ephemeral answer to %s failed", user, exc_info=True)


async def _posted(
    inbound: SlackInbound, event_id: str, event: dict[str, Any], bot_user_id: str | None
) -> None:
    if not _from_agent(inbound, event.get("channel"), event, bot_user_id):
        return
    agent = await inbound.agent(event["user"])
    said = await inbound.said(event, agent, bot_user_id)
    reply = await inbound.deliver(translate.thread_message(event_id, event, agent, said))
    await _answer(inbound, reply, channel=event["channel"], message=event)


async def _edited(
    inbound: SlackInbound, event_id: str, event: dict[str, Any], bot_user_id: str | None
) -> None:
    message = event.get("message") or {}
    previous = event.get("previous_message") or {}
    # Slack also sends message_changed for unfurls and reply counts: same text, nothing to do.
    unchanged = message.get("text") == previous.get("text")
    if unchanged or not _from_agent(inbound, event.get("channel"), message, bot_user_id):
        return
    agent = await inbound.agent(message["user"])
    rich, _people = await inbound.text_of(message)
    reply = await inbound.deliver(translate.edited_message(event_id, event, agent, rich))
    # Withdrawn from the shop, or published: the agent is told.
    await _answer(inbound, reply, channel=event["channel"], message=message)


async def _deleted(
    inbound: SlackInbound, event_id: str, event: dict[str, Any], bot_user_id: str | None
) -> None:
    previous = event.get("previous_message") or {}
    channel, user = event.get("channel"), previous.get("user")
    if translate.is_from_bot(previous, bot_user_id) or not inbound.writes_in(channel, user):
        return
    agent = await inbound.agent(previous["user"])
    await inbound.deliver(translate.deleted_message(event_id, event, agent))


def events_router(bolt: AsyncApp, *, ready: Callable[[], Awaitable[bool]]) -> APIRouter:
    """POST /slack/events: Events API, interactivity and the slash command share one URL.

    While the bot's token is not verified the answer is 503, so Slack sends the event again
    later instead of taking a 200 for an event nobody could handle."""
    router = APIRouter()
    handler = AsyncSlackRequestHandler(bolt)

    @router.post("/slack/events", include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        if not await ready():
            return Response(status_code=503, headers={"Retry-After": "60"})
        response: Response = await handler.handle(request)
        return response

    return router


def socket_mode(bolt: AsyncApp, app_token: str) -> AsyncSocketModeHandler:
    """A websocket to Slack (apps.connections.open): no public URL needed."""
    return AsyncSocketModeHandler(bolt, app_token)
