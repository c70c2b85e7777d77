"""Pure translation of raw Matrix events, as Element sends them, into `bot.events`."""

# Threads (`m.thread`), replies outside the thread aimed at a ticket's root (`m.in_reply_to`
# alone: the core takes them as replies in that thread), quote fallbacks in every shape (body
# "> <@user>" lines, `<mx-reply>`), edits (`m.new_content`), redactions, emotes, pills and HTML.

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from bot import commands, richtext
from bot.events import (
    Agent,
    AgentCommand,
    ChannelUnreadable,
    InboundEvent,
    InboundFile,
    ThreadMessage,
    ThreadMessageDeleted,
    ThreadMessageEdited,
    ThreadRef,
)
from bot.richtext import RichText
from bot.vocabulary import ChannelId, EventId, ExternalId, Platform, ThreadId

PLATFORM = Platform.MATRIX
RawEvent = dict[str, Any]
TEXT_TYPES = frozenset({"m.text", "m.emote"})
FILE_TYPES = frozenset({"m.image", "m.file", "m.video", "m.audio"})
HTML_FORMAT = "org.matrix.custom.html"
_PILL = re.compile(r"^https://matrix\.to/#/(@[^/?]+)")
_USER_ID = re.compile(r"@[a-z0-9._=\-/+]+:[A-Za-z0-9.\-]+(?::\d+)?")
_ADDRESSED = re.compile(r"^@\w")


def _string(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _content(raw: RawEvent) -> dict[str, Any]:
    content = raw.get("content")
    return content if isinstance(content, dict) else {}


def _relation(raw: RawEvent) -> dict[str, Any]:
    relation = _content(raw).get("m.relates_to")
    return relation if isinstance(relation, dict) else {}


def _replied_to(relation: dict[str, Any]) -> str | None:
    reply = relation.get("m.in_reply_to")
    return _string(reply.get("event_id")) if isinstance(reply, dict) else None


def thread_root(raw: RawEvent) -> str | None:
    """The thread the message is in; for a reply outside any thread, the event it answers
    (the core takes it as the thread when that event is a ticket's root)."""
    relation = _relation(raw)
    if relation.get("rel_type") == "m.thread":
        return _string(relation.get("event_id"))
    if "rel_type" not in relation:
        return _replied_to(relation)
    return None


def replaced_event(raw: RawEvent) -> str | None:
    relation = _relation(raw)
    return _string(relation.get("event_id")) if relation.get("rel_type") == "m.replace" else None


def redacted_event(raw: RawEvent) -> str | None:
    if raw.get("type") != "m.room.redaction":
        return None
    return _string(raw.get("redacts")) or _string(_content(raw).get("redacts"))


def command_outside_thread(raw: RawEvent, command_prefix: str) -> bool:
    """A `!stats`-like line written in the room itself, answering nothing."""
    content = _content(raw)
    body = content.get("body")
    if content.get("msgtype") != "m.text" or not isinstance(body, str):
        return False
    if "m.relates_to" in content:
        return False
    return commands.is_command_line(body, command_prefix)


def is_encrypted(raw: RawEvent) -> bool:
    return raw.get("type") == "m.room.encrypted"


def unreadable(room_id: str, raw: RawEvent, agent: Agent) -> ChannelUnreadable:
    return ChannelUnreadable(
        event_id=EventId(raw["event_id"]),
        platform=PLATFORM,
        channel=ChannelId(room_id),
        agent=agent,
        reason="end-to-end encrypted",
    )


def is_relevant(raw: RawEvent, *, command_prefix: str) -> bool:
    """Worth resolving the sender for: a thread message, an edit, a redaction or a command."""
    if raw.get("type") == "m.room.redaction":
        return redacted_event(raw) is not None
    if raw.get("type") != "m.room.message":
        return False
    content = _content(raw)
    if replaced_event(raw) is not None:
        return _edited_content(raw) is not None
    if command_outside_thread(raw, command_prefix):
        return True
    msgtype = content.get("msgtype")
    return thread_root(raw) is not None and (msgtype in TEXT_TYPES or msgtype in FILE_TYPES)


def media_of(raw: RawEvent) -> tuple[str, str, str, int] | None:
    """(mxc url, filename, mimetype, size) of a file message in a thread, to download."""
    content = _content(raw)
    if content.get("msgtype") not in FILE_TYPES or not isinstance(content.get("url"), str):
        return None
    filename = _string(content.get("filename")) or _string(content.get("body")) or "file"
    info = content.get("info")
    info = info if isinstance(info, dict) else {}
    mimetype = _string(info.get("mimetype")) or "application/octet-stream"
    size = info.get("size")
    return str(content["url"]), filename, mimetype, size if isinstance(size, int) else 0


def strip_reply_fallback(body: str) -> str:
    """Drop the `> <@user> quoted` lines (and the blank line after) a rich reply may start with."""
    lines = body.split("\n")
    if not lines or not lines[0].startswith("> <"):
        return body
    while lines and lines[0].startswith(">"):
        lines.pop(0)
    if lines and not lines[0].strip():
        lines.pop(0)
    return "\n".join(lines)


def pill_user(href: str) -> str | None:
    """The Matrix id a pill (`https://matrix.to/#/@user:hs`) points at."""
    match = _PILL.match(href)
    return unquote(match.group(1)) if match else None


def rich_of(content: dict[str, Any]) -> RichText:
    """What the shop reads: the HTML when sent (pills as names, fallbacks gone), else the body
    without its quote fallback."""
    body = strip_reply_fallback(_string(content.get("body")) or "")
    markup = _string(content.get("formatted_body"))
    if content.get("format") == HTML_FORMAT and markup:
        rich = richtext.from_html(markup, mention_of=pill_user)
        if not rich.plain.strip():
            rich = RichText(body)
    else:
        rich = RichText(body)
    return rich


def text_of(raw: RawEvent) -> RichText:
    """The text that counts (an edit's new one), parsed: once per event, by the caller."""
    return rich_of(_relevant_content(raw))


def mentioned_ids(raw: RawEvent, rich: RichText) -> list[str]:
    """Matrix ids a message names: its pills (in `rich`, its `text_of`), then ids typed out
    (`!assign @bartek:hs`)."""
    content = _relevant_content(raw)
    ids = list(rich.mentions)
    typed = _USER_ID.findall(strip_reply_fallback(_string(content.get("body")) or ""))
    return ids + [user for user in typed if user not in ids]


def _relevant_content(raw: RawEvent) -> dict[str, Any]:
    """The content that counts: an edit's `m.new_content`, else the event's own."""
    content = _content(raw)
    new = content.get("m.new_content")
    return new if replaced_event(raw) is not None and isinstance(new, dict) else content


def _edited_content(raw: RawEvent) -> dict[str, Any] | None:
    """An edit's `m.new_content` when it is one with a text body (else the edit is ignored)."""
    new = _content(raw).get("m.new_content")
    return new if isinstance(new, dict) and isinstance(new.get("body"), str) else None


def _opens_with_colleague(content: dict[str, Any], rich: RichText, bot_id: str) -> bool:
    """It starts by addressing someone who is not Pomoc: a pill, or a typed `@Tomek`."""
    if rich.opens_with_mention:
        return bool(rich.mentions) and rich.mentions[0] != bot_id
    body = strip_reply_fallback(_string(content.get("body")) or "").lstrip()
    return bool(_ADDRESSED.match(body)) and not (bot_id and body.startswith(bot_id))


@dataclass(frozen=True, slots=True)
class Resolved:
    """What the inbound side fetched for an event: its files, the people it names, and its
    `text_of` (parsed here when not given)."""

    files: tuple[InboundFile, ...] = ()
    unavailable: tuple[str, ...] = ()
    mentions: tuple[Agent, ...] = field(default=())
    rich: RichText | None = None


def to_event(
    room_id: str,
    raw: RawEvent,
    agent: Agent,
    resolved: Resolved = Resolved(),
    *,
    command_prefix: str,
    bot_id: str = "",
) -> InboundEvent | None:
    """A raw Matrix event from an allowed agent -> a core event (None: not for the core)."""
    event_id = raw.get("event_id")
    if not isinstance(event_id, str):
        return None
    redacts = redacted_event(raw)
    if redacts is not None:
        return ThreadMessageDeleted(
            event_id=EventId(event_id),
            platform=PLATFORM,
            message_id=ExternalId(redacts),
            agent=agent,
        )
    if raw.get("type") != "m.room.message":
        return None
    content = _content(raw)
    target = replaced_event(raw)
    if target is not None:
        if _edited_content(raw) is None:
            return None
        rich = _text(raw, resolved)
        return ThreadMessageEdited(
            event_id=EventId(event_id),
            platform=PLATFORM,
            message_id=ExternalId(target),
            agent=agent,
            text=rich.plain,
            html=rich.html,
        )
    if command_outside_thread(raw, command_prefix):
        return _room_command(room_id, event_id, content["body"], agent, resolved, command_prefix)
    return _thread_message(room_id, raw, agent, resolved, bot_id=bot_id)


def _text(raw: RawEvent, resolved: Resolved) -> RichText:
    """The event's `text_of`, as the caller resolved it or parsed now."""
    return resolved.rich if resolved.rich is not None else text_of(raw)


def _room_command(
    room_id: str, event_id: str, body: str, agent: Agent, resolved: Resolved, prefix: str
) -> AgentCommand:
    """`!stats`, `!claim` (lists the room's open tickets), `!claim 42` in the room."""
    command, ticket_id = commands.parse_slash(body.strip()[len(prefix) :])
    return AgentCommand(
        event_id=EventId(event_id),
        platform=PLATFORM,
        agent=agent,
        command=command,
        ticket_id=ticket_id,
        channel=ChannelId(room_id),
        mentions=resolved.mentions,
        # Being in this room is all a room command proves: it acts only on this room's tickets.
        member_of=frozenset({ChannelId(room_id)}),
    )


def _thread_message(
    room_id: str, raw: RawEvent, agent: Agent, resolved: Resolved, *, bot_id: str
) -> ThreadMessage | None:
    root = thread_root(raw)
    content = _content(raw)
    msgtype = content.get("msgtype")
    if root is None or (msgtype not in TEXT_TYPES and msgtype not in FILE_TYPES):
        return None
    if msgtype in FILE_TYPES:  # the body is the file name unless a caption was given
        filename = content.get("filename")
        caption = content.get("body") if filename and content.get("body") != filename else ""
        rich = RichText(caption if isinstance(caption, str) else "")
    else:
        rich = _text(raw, resolved)
        if msgtype == "m.emote" and agent.display_name:  # it reads "Anna checks the logs"
            rich = richtext.prepend(rich, agent.display_name)
    return ThreadMessage(
        event_id=EventId(raw["event_id"]),
        thread=ThreadRef(platform=PLATFORM, channel=ChannelId(room_id), thread_id=ThreadId(root)),
        message_id=ExternalId(raw["event_id"]),
        agent=agent,
        text=rich.plain,
        html=rich.html,
        files=resolved.files,
        unavailable=resolved.unavailable,
        mentions=resolved.mentions,
        to_colleague=_opens_with_colleague(content, rich, bot_id),
        sent_at=_stamped(raw.get("origin_server_ts")),
    )


def _stamped(milliseconds: object) -> datetime | None:
    """The instant of a Matrix `origin_server_ts` (milliseconds since the epoch)."""
    if not isinstance(milliseconds, int) or isinstance(milliseconds, bool):
        return None
    try:
        return datetime.fromtimestamp(milliseconds / 1000, UTC)
    except (ValueError, OverflowError, OSError):
        return None
