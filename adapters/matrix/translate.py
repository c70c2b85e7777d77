"""Pure translation between Pomoc and Matrix: views -> event content, raw events -> bot.events.

Everything a shop wrote is untrusted: it is HTML-escaped in `formatted_body`, `@room` is
neutralised in both bodies, and it never reaches `m.mentions` (which we always set, so clients
apply intentional mentions instead of scanning the body for names).
"""

import html

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

PLATFORM = "matrix"
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


def thread_relation(root_id: str, in_reply_to: str | None = None) -> dict:
    return {
        "rel_type": "m.thread",
        "event_id": root_id,
        "is_falling_back": True,
        "m.in_reply_to": {"event_id": in_reply_to or root_id},
    }


def _message(msgtype: str, lines: list[tuple[str, str]], mentions: tuple[str, ...] = ()) -> dict:
    """`lines`: (plain, html) pairs, both already safe."""
    return {
        "msgtype": msgtype,
        "body": "\n".join(text for text, _ in lines),
        "format": "org.matrix.custom.html",
        "formatted_body": "<br>".join(markup for _, markup in lines),
        "m.mentions": {"user_ids": list(mentions)} if mentions else {},
    }


# -- outbound ---------------------------------------------------------------------------------


def root_content(ticket: TicketView) -> dict:
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


def root_edit_content(root_id: str, ticket: TicketView) -> dict:
    """An `m.replace` of the root; nobody is paged again by an edit."""
    return replace_content(root_id, root_content(ticket))


def replace_content(target_id: str, new: dict) -> dict:
    return {
        "msgtype": new["msgtype"],
        "body": "* " + new["body"],
        "format": new["format"],
        "formatted_body": "* " + new["formatted_body"],
        "m.mentions": {},
        "m.new_content": new,
        "m.relates_to": {"rel_type": "m.replace", "event_id": target_id},
    }


def message_content(message: MessageView, root_id: str | None = None) -> dict:
    """A message of the ticket's conversation, in the thread under `root_id` when given."""
    body = message.body
    if message.author == "shop":
        who = f"🛒 {message.author_name}"
        content = _message(
            "m.text", [(f"{plain(who)}: {plain(body)}", f"<b>{escape(who)}</b>: {escape(body)}")]
        )
    elif message.author in ("bot", "system"):
        content = _message("m.notice", [(plain(body), escape(body))])
    elif message.author == "note":
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


def notice_content(text: str, root_id: str | None = None) -> dict:
    """Text of ours (a command reply, an announcement): escaped like any other text."""
    content = _message("m.notice", [(plain(text), escape(text))])
    if root_id is not None:
        content["m.relates_to"] = thread_relation(root_id)
    return content


def command_reply_content(reply: CommandReply, root_id: str | None) -> dict:
    """The core's answer to an agent: in the thread, or in the room for a room command."""
    return notice_content(reply.text if reply.ok else f"⚠️ {reply.text}", root_id)


def attachment_content(attachment: AttachmentView, mxc_url: str, root_id: str) -> dict:
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


def thread_root(raw: dict) -> str | None:
    relation = (raw.get("content") or {}).get("m.relates_to") or {}
    return relation.get("event_id") if relation.get("rel_type") == "m.thread" else None


def replaced_event(raw: dict) -> str | None:
    relation = (raw.get("content") or {}).get("m.relates_to") or {}
    return relation.get("event_id") if relation.get("rel_type") == "m.replace" else None


def redacted_event(raw: dict) -> str | None:
    if raw.get("type") != "m.room.redaction":
        return None
    return raw.get("redacts") or (raw.get("content") or {}).get("redacts")


def command_outside_thread(raw: dict, command_prefix: str) -> bool:
    """A `!stats`-like line written in the room itself rather than in a ticket's thread."""
    content = raw.get("content") or {}
    body = content.get("body")
    if thread_root(raw) is not None or content.get("msgtype") != "m.text":
        return False
    if not isinstance(body, str) or "m.relates_to" in content:
        return False
    rest = body.strip()[len(command_prefix) :]
    return body.strip().startswith(command_prefix) and rest[:1].isalpha()


def is_encrypted(raw: dict) -> bool:
    return raw.get("type") == "m.room.encrypted"


def unreadable(room_id: str, raw: dict, agent: Agent) -> ChannelUnreadable:
    return ChannelUnreadable(
        event_id=raw["event_id"],
        platform=PLATFORM,
        channel=room_id,
        agent=agent,
        reason="end-to-end encrypted",
    )


def is_relevant(raw: dict, *, command_prefix: str) -> bool:
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


def media_of(raw: dict) -> tuple[str, str, str] | None:
    """(mxc url, filename, mimetype) of a file message in a thread, to download."""
    content = raw.get("content") or {}
    if content.get("msgtype") not in FILE_TYPES or not isinstance(content.get("url"), str):
        return None
    filename = content.get("filename") or content.get("body") or "file"
    mimetype = (content.get("info") or {}).get("mimetype") or "application/octet-stream"
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


def message_text(raw: dict) -> str:
    content = raw.get("content") or {}
    body = content.get("body") if isinstance(content.get("body"), str) else ""
    msgtype = content.get("msgtype")
    if msgtype in FILE_TYPES:  # the body is the file name unless a caption was given
        filename = content.get("filename")
        return body if filename and body != filename else ""
    relation = content.get("m.relates_to") or {}
    if "m.in_reply_to" in relation and not relation.get("is_falling_back"):
        body = strip_reply_fallback(body)
    return body


def to_event(
    room_id: str,
    raw: dict,
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
            event_id=event_id, platform=PLATFORM, message_id=redacts, agent=agent
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
            event_id=event_id, platform=PLATFORM, message_id=target, agent=agent, text=body
        )
    if command_outside_thread(raw, command_prefix):
        name, *args = content["body"].strip()[len(command_prefix) :].split()
        return AgentCommand(
            event_id=event_id, platform=PLATFORM, agent=agent, name=name.lower(), args=tuple(args)
        )
    root = thread_root(raw)
    msgtype = content.get("msgtype")
    if root is None or (msgtype not in TEXT_TYPES and msgtype not in FILE_TYPES):
        return None
    return ThreadMessage(
        event_id=event_id,
        thread=ThreadRef(platform=PLATFORM, channel=room_id, thread_id=root),
        message_id=event_id,
        agent=agent,
        text=message_text(raw),
        files=files,
    )
