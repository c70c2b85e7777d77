"""Pure translation between Pomoc and Matrix: views -> event content, raw events -> bot.events."""

# Everything a shop wrote is untrusted: it is HTML-escaped in `formatted_body`, `@room` is
# neutralised in both bodies, and it never reaches `m.mentions` (which we always set, so clients
# apply intentional mentions instead of scanning the body for names).

import html
from typing import Any

from bot import commands
from bot.events import (
    Agent,
    AgentCommand,
    ChannelUnreadable,
    CommandReply,
    InboundEvent,
    InboundFile,
    ThreadMessage,
    ThreadMessageDeleted,
    ThreadMessageEdited,
    ThreadRef,
)
from bot.views import AttachmentView, MessageView, TicketView
from bot.vocabulary import Author, ChannelId, EventId, ExternalId, Platform, ThreadId

PLATFORM = Platform.MATRIX
Content = dict[str, Any]
RawEvent = dict[str, Any]
WORD_JOINER = "\u2060"
TEXT_TYPES = frozenset({"m.text", "m.emote"})
FILE_TYPES = frozenset({"m.image", "m.file", "m.video", "m.audio"})
MATRIX_TO = "https://matrix.to/#/"


def plain(text: str) -> str:
    """Untrusted text for a plain `body`: `@room` cannot notify the room."""
    return text.replace("@room", "@" + WORD_JOINER + "room")


def escape(text: str) -> str:
    """Untrusted text for `formatted_body`."""
    return html.escape(plain(text), quote=True).replace("\n", "<br>")


def link(url: str, label: str | None = None) -> str:
    return f'<a href="{html.escape(url, quote=True)}">{escape(label or url)}</a>'


def thread_relation(root_id: str, in_reply_to: str | None = None) -> dict[str, Any]:
    return {
        "rel_type": "m.thread",
        "event_id": root_id,
        "is_falling_back": True,
        "m.in_reply_to": {"event_id": in_reply_to or root_id},
    }


def _message(msgtype: str, lines: list[tuple[str, str]], mentions: tuple[str, ...] = ()) -> Content:
    """`lines`: (plain, html) pairs, both already safe."""
    return {
        "msgtype": msgtype,
        "body": "\n".join(text for text, _ in lines),
        "format": "org.matrix.custom.html",
        "formatted_body": "<br>".join(markup for _, markup in lines),
        "m.mentions": {"user_ids": list(mentions)} if mentions else {},
    }


# -- outbound ---------------------------------------------------------------------------------


def root_content(ticket: TicketView) -> Content:
    """The thread root: what the ticket is and where it stands (edited in place later)."""
    lines: list[tuple[str, str]] = []
    mentions: tuple[str, ...] = ()
    critical = "🚨 " if ticket.is_critical else ""
    title_plain = f"{critical}#{ticket.id} {plain(ticket.title)}"
    title_html = f"<b>{critical}#{ticket.id} {escape(ticket.title)}</b>"
    if ticket.mention:
        mentions = (ticket.mention,)
        pill = link(MATRIX_TO + ticket.mention, ticket.mention)
        title_plain, title_html = f"{ticket.mention} {title_plain}", f"{pill} {title_html}"
    lines.append((title_plain, title_html))
    facts = [
        ("Shop", ticket.shop_name),
        ("Priority", ticket.priority),
        ("Department", ticket.department),
        ("Status", ticket.status),
        ("Assignee", ticket.assignee or "—"),
    ]
    lines.append(
        (
            " · ".join(f"{k}: {plain(v)}" for k, v in facts),
            " · ".join(f"{k}: <b>{escape(v)}</b>" for k, v in facts),
        )
    )
    if ticket.suggestions:
        lines.append(
            (
                "Suggested: " + ", ".join(f"{s.title} ({s.url})" for s in ticket.suggestions),
                "Suggested: " + ", ".join(link(s.url, s.title) for s in ticket.suggestions),
            )
        )
    if ticket.order_url:
        lines.append((f"Order: {plain(ticket.order_url)}", "Order: " + link(ticket.order_url)))
    lines.append((f"Panel: {ticket.panel_url}", "Panel: " + link(ticket.panel_url)))
    if ticket.signals:
        signals = ", ".join(ticket.signals)
        lines.append((f"Signals: {plain(signals)}", f"Signals: {escape(signals)}"))
    return _message("m.text", lines, mentions)


def root_edit_content(root_id: str, ticket: TicketView) -> Content:
    """An `m.replace` of the root; nobody is paged again by an edit."""
    return replace_content(root_id, root_content(ticket))


def replace_content(target_id: str, new: Content) -> Content:
    return {
        "msgtype": new["msgtype"],
        "body": "* " + new["body"],
        "format": new["format"],
        "formatted_body": "* " + new["formatted_body"],
        "m.mentions": {},
        "m.new_content": new,
        "m.relates_to": {"rel_type": "m.replace", "event_id": target_id},
    }


def message_content(message: MessageView, root_id: str | None = None) -> Content:
    """A message of the ticket's conversation, in the thread under `root_id` when given."""
    body = message.body
    if message.author == Author.SHOP:
        who = f"🛒 {message.author_name}"
        content = _message(
            "m.text", [(f"{plain(who)}: {plain(body)}", f"<b>{escape(who)}</b>: {escape(body)}")]
        )
    elif message.author == Author.BOT:
        content = _message("m.notice", [(plain(body), escape(body))])
    elif message.author == Author.NOTE:
        who = f"📝 {message.author_name}"
        content = _message(
            "m.notice", [(f"{plain(who)}: {plain(body)}", f"<i>{escape(who)}</i>: {escape(body)}")]
        )
    else:  # an agent's message written elsewhere (another platform, the web inbox)
        who = message.author_name
        content = _message(
            "m.text", [(f"{plain(who)}: {plain(body)}", f"<b>{escape(who)}</b>: {escape(body)}")]
        )
    if root_id is not None:
        content["m.relates_to"] = thread_relation(root_id)
    return content


def notice_content(text: str, root_id: str | None = None) -> Content:
    """Text of ours (a command reply, an announcement): escaped like any other text."""
    content = _message("m.notice", [(plain(text), escape(text))])
    if root_id is not None:
        content["m.relates_to"] = thread_relation(root_id)
    return content


def command_reply_content(reply: CommandReply, root_id: str | None) -> Content:
    """The core's answer to an agent: in the thread, or in the room for a room command."""
    return notice_content(reply.text if reply.ok else f"⚠️ {reply.text}", root_id)


def attachment_content(attachment: AttachmentView, mxc_url: str, root_id: str) -> Content:
    return {
        "msgtype": "m.image" if attachment.is_image else "m.file",
        "body": attachment.filename,
        "filename": attachment.filename,
        "url": mxc_url,
        "info": {"mimetype": attachment.content_type, "size": attachment.size},
        "m.mentions": {},
        "m.relates_to": thread_relation(root_id),
    }


# -- inbound ----------------------------------------------------------------------------------


def _string(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _relation(raw: RawEvent) -> dict[str, Any]:
    relation = (raw.get("content") or {}).get("m.relates_to")
    return relation if isinstance(relation, dict) else {}


def thread_root(raw: RawEvent) -> str | None:
    relation = _relation(raw)
    return _string(relation.get("event_id")) if relation.get("rel_type") == "m.thread" else None


def replaced_event(raw: RawEvent) -> str | None:
    relation = _relation(raw)
    return _string(relation.get("event_id")) if relation.get("rel_type") == "m.replace" else None


def redacted_event(raw: RawEvent) -> str | None:
    if raw.get("type") != "m.room.redaction":
        return None
    return _string(raw.get("redacts")) or _string((raw.get("content") or {}).get("redacts"))


def command_outside_thread(raw: RawEvent, command_prefix: str) -> bool:
    """A `!stats`-like line written in the room itself rather than in a ticket's thread."""
    content = raw.get("content") or {}
    body = content.get("body")
    if thread_root(raw) is not None or content.get("msgtype") != "m.text":
        return False
    if not isinstance(body, str) or "m.relates_to" in content:
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
    content = raw.get("content") or {}
    if replaced_event(raw) is not None:
        return isinstance((content.get("m.new_content") or {}).get("body"), str)
    if command_outside_thread(raw, command_prefix):
        return True
    msgtype = content.get("msgtype")
    return thread_root(raw) is not None and (msgtype in TEXT_TYPES or msgtype in FILE_TYPES)


def media_of(raw: RawEvent) -> tuple[str, str, str] | None:
    """(mxc url, filename, mimetype) of a file message in a thread, to download."""
    content = raw.get("content") or {}
    if content.get("msgtype") not in FILE_TYPES or not isinstance(content.get("url"), str):
        return None
    filename = _string(content.get("filename")) or _string(content.get("body")) or "file"
    info = content.get("info")
    mimetype = _string(info.get("mimetype")) if isinstance(info, dict) else None
    mimetype = mimetype or "application/octet-stream"
    return content["url"], filename, mimetype


def strip_reply_fallback(body: str) -> str:
    """Drop the `> <@user> quoted` lines older clients put before a rich reply."""
    lines = body.split("\n")
    if not lines or not lines[0].startswith("> "):
        return body
    while lines and lines[0].startswith(">"):
        lines.pop(0)
    if lines and not lines[0].strip():
        lines.pop(0)
    return "\n".join(lines)


def message_text(raw: RawEvent) -> str:
    content = raw.get("content") or {}
    body = _string(content.get("body")) or ""
    msgtype = content.get("msgtype")
    if msgtype in FILE_TYPES:  # the body is the file name unless a caption was given
        filename = content.get("filename")
        return body if filename and body != filename else ""
    relation = _relation(raw)
    if "m.in_reply_to" in relation and not relation.get("is_falling_back"):
        body = strip_reply_fallback(body)
    return body


def to_event(
    room_id: str,
    raw: RawEvent,
    agent: Agent,
    files: tuple[InboundFile, ...] = (),
    *,
    command_prefix: str,
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
    content = raw.get("content") or {}
    target = replaced_event(raw)
    if target is not None:
        body = (content.get("m.new_content") or {}).get("body")
        if not isinstance(body, str):
            return None
        return ThreadMessageEdited(
            event_id=EventId(event_id),
            platform=PLATFORM,
            message_id=ExternalId(target),
            agent=agent,
            text=body,
        )
    if command_outside_thread(raw, command_prefix):
        command = commands.parse_line(content["body"], command_prefix)
        if command is not None:
            return AgentCommand(
                event_id=EventId(event_id), platform=PLATFORM, agent=agent, command=command
            )
    root = thread_root(raw)
    msgtype = content.get("msgtype")
    if root is None or (msgtype not in TEXT_TYPES and msgtype not in FILE_TYPES):
        return None
    return ThreadMessage(
        event_id=EventId(event_id),
        thread=ThreadRef(platform=PLATFORM, channel=ChannelId(room_id), thread_id=ThreadId(root)),
        message_id=ExternalId(event_id),
        agent=agent,
        text=message_text(raw),
        files=files,
    )
