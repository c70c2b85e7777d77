"""Pure Slack translation: views -> Block Kit, raw payloads -> `bot.events`, mrkdwn -> text."""

# Everything that came from a shop (titles, bodies, names, links) is untrusted and escaped for
# mrkdwn (`&`, `<`, `>`), so `<!channel>` or `<@U…>` typed by a shop never pings anyone.

import re
from collections.abc import Callable, Mapping
from typing import Any

from bot import commands
from bot.events import (
    Agent,
    AgentCommand,
    InboundFile,
    ThreadMessage,
    ThreadMessageDeleted,
    ThreadMessageEdited,
    ThreadRef,
)
from bot.lifecycle import Status
from bot.views import MessageView, TicketView
from bot.vocabulary import Author, ChannelId, EventId, ExternalId, Platform, ThreadId, TicketId

PLATFORM = Platform.SLACK
METADATA_TYPE = "pomoc_delivery"
REPLY_SHORTCUT = "pomoc_reply"  # the message shortcut's callback id, as set up in the Slack app
SECTION_LIMIT = 2900  # Slack allows 3,000 characters per section text
FIELD_LIMIT = 1900  # and 2,000 per field

STATUS_LABELS = {
    Status.NEW: "nowe",
    Status.SUGGESTED: "zaproponowano artykuły",
    Status.QUEUED: "w kolejce",
    Status.OPEN: "otwarte",
    Status.WAITING: "czeka na sklep",
    Status.RESOLVED: "rozwiązane",
    Status.PURGED: "usunięte",
}


# -- outbound ------------------------------------------------------------------------------


def escape(text: str) -> str:
    """Defuse mrkdwn control characters in untrusted text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _url(url: str) -> str:
    """A URL safe inside `<url|label>`: escaped, and no `|` to cut the label short."""
    return escape(url).replace("|", "%7C")


def _link(url: str, label: str) -> str:
    return f"<{_url(url)}|{escape(label).replace('|', '¦')}>"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def metadata(key: str) -> dict[str, Any]:
    """Attached to every message Pomoc posts, so a retry can find an earlier copy."""
    return {"event_type": METADATA_TYPE, "event_payload": {"key": key}}


def metadata_key(message: Mapping[str, Any]) -> str | None:
    data = message.get("metadata") or {}
    if data.get("event_type") != METADATA_TYPE:
        return None
    key = (data.get("event_payload") or {}).get("key")
    return key if isinstance(key, str) else None


def ticket_fallback(ticket: TicketView) -> str:
    """The notification text (and what screen readers read)."""
    mark = "🔴 " if ticket.is_critical else ""
    # The on-call mention comes from the config, not from the shop; here it pages on phones too.
    page = f"{ticket.mention} " if ticket.mention else ""
    return page + _cut(
        f"{mark}#{ticket.id} {escape(ticket.title)} ({escape(ticket.shop_name)})", 300
    )


def ticket_blocks(ticket: TicketView) -> list[dict[str, Any]]:
    """The root message of a ticket's thread, rendered as the ticket is now."""
    blocks: list[dict[str, Any]] = []
    if ticket.mention:  # from the config (on-call), not from the shop: sent as is
        blocks.append({"type": "section", "text": mrkdwn(f"{ticket.mention} pilne zgłoszenie")})
    icon = "🔴" if ticket.is_critical else "🎫"
    blocks.append(
        {
            "type": "header",
            "text": {"type": "plain_text", "text": f"{icon} Zgłoszenie #{ticket.id}"},
        }
    )
    body = _cut(escape(ticket.body), SECTION_LIMIT - 200)
    blocks.append(
        {
            "type": "section",
            "text": mrkdwn(_cut(f"*{escape(ticket.title)}*\n{body}", SECTION_LIMIT)),
        }
    )
    fields = [
        ("Sklep", escape(ticket.shop_name)),
        ("Priorytet", "krytyczny" if ticket.is_critical else escape(ticket.priority)),
        ("Dział", escape(ticket.department)),
        ("Status", STATUS_LABELS.get(ticket.status, escape(ticket.status))),
        ("Przypisane", escape(ticket.assignee) if ticket.assignee else "—"),
    ]
    if ticket.order_url:
        fields.append(("Zamówienie", _link(ticket.order_url, ticket.order_url)))
    blocks.append(
        {
            "type": "section",
            "fields": [mrkdwn(_cut(f"*{name}:*\n{value}", FIELD_LIMIT)) for name, value in fields],
        }
    )
    if ticket.suggestions:
        lines = [f"• {_link(s.url, s.title)}" for s in ticket.suggestions[:5]]
        blocks.append(
            {"type": "section", "text": mrkdwn(_cut("*Sugestie:*\n" + "\n".join(lines), 2900))}
        )
    blocks.append(
        {"type": "context", "elements": [mrkdwn(_link(ticket.panel_url, "Otwórz w panelu"))]}
    )
    value = str(ticket.id)
    blocks.append(
        {
            "type": "actions",
            "block_id": f"pomoc_ticket_{ticket.id}",
            "elements": [
                _button("pomoc_claim", "Przejmij", value),
                _button("pomoc_resolve", "Rozwiąż", value, style="primary"),
                _button("pomoc_critical", "Oznacz jako krytyczne", value, style="danger"),
            ],
        }
    )
    return blocks


def _button(action_id: str, label: str, value: str, *, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": label},
        "value": value,
    }
    if style:
        button["style"] = style
    return button


AUTHOR_LABELS = {Author.BOT: "🤖 Pomoc (do sklepu)", Author.NOTE: "📝 Notatka"}


def message_text(message: MessageView) -> str:
    if message.author == Author.SHOP:
        who = f"🏪 *{escape(message.author_name or 'Sklep')}*"
    elif message.author in AUTHOR_LABELS:
        who = f"*{AUTHOR_LABELS[message.author]}*"
    else:
        who = f"*{escape(message.author_name or message.author)}*"
    return _cut(f"{who}: {escape(message.body)}", SECTION_LIMIT)


def message_blocks(message: MessageView) -> list[dict[str, Any]]:
    return [{"type": "section", "text": mrkdwn(message_text(message))}]


def announce_blocks(text: str) -> list[dict[str, Any]]:
    return [{"type": "section", "text": mrkdwn(_cut(escape(text), SECTION_LIMIT))}]


# -- mrkdwn -> plain text ------------------------------------------------------------------

_ANGLE = re.compile(r"<([^<>]*)>")
_CODE_BLOCK = re.compile(r"```\n?(.*?)\n?```", re.DOTALL)
_CODE = re.compile(r"`([^`\n]+)`")
_BOLD = re.compile(r"(?<![\w*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?!\s)([^_\n]+?)(?<!\s)_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~])~(?!\s)([^~\n]+?)(?<!\s)~(?![\w~])")
_MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|[^<>]*)?>")


def mentioned_users(text: str) -> list[str]:
    return [str(user) for user in _MENTION.findall(text)]


def user_name(user: Mapping[str, Any]) -> str | None:
    """The name a `users.info` user goes by: display name, then real name, then handle."""
    profile = user.get("profile") or {}
    for name in (
        profile.get("display_name"),
        profile.get("real_name"),
        user.get("real_name"),
        user.get("name"),
    ):
        if isinstance(name, str) and name:
            return name
    return None


def to_plain(text: str, user_name: Callable[[str], str] | None = None) -> str:
    """Slack mrkdwn as the shop should read it: names, labelled links, no markup, unescaped."""

    def angle(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            user = target[1:]
            name = label or (user_name(user) if user_name else user)
            return f"@{name}"
        if target.startswith("#"):
            return f"#{label or target[1:]}"
        if target.startswith("!"):
            special = target[1:]
            if special.startswith("subteam^"):
                return label or "@group"
            if special.startswith("date"):
                return label or ""
            return f"@{special}"
        if label and label != target:
            return f"{label} ({target})"
        return target

    text = _ANGLE.sub(angle, text)
    text = _CODE_BLOCK.sub(r"\1", text)
    text = _CODE.sub(r"\1", text)
    text = _BOLD.sub(r"\1", text)
    text = _ITALIC.sub(r"\1", text)
    text = _STRIKE.sub(r"\1", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


# -- inbound -------------------------------------------------------------------------------


def is_thread_reply(event: Mapping[str, Any]) -> bool:
    thread_ts = event.get("thread_ts")
    return bool(thread_ts) and thread_ts != event.get("ts")


def is_from_bot(event: Mapping[str, Any], bot_user_id: str | None = None) -> bool:
    if event.get("bot_id") or event.get("subtype") == "bot_message":
        return True
    return bot_user_id is not None and event.get("user") == bot_user_id


def thread_message(
    event_id: str,
    event: Mapping[str, Any],
    agent: Agent,
    text: str,
    files: tuple[InboundFile, ...] = (),
) -> ThreadMessage:
    return ThreadMessage(
        event_id=EventId(event_id),
        thread=ThreadRef(PLATFORM, ChannelId(event["channel"]), ThreadId(event["thread_ts"])),
        message_id=ExternalId(event["ts"]),
        agent=agent,
        text=text,
        files=files,
    )


def edited_message(
    event_id: str, event: Mapping[str, Any], agent: Agent, text: str
) -> ThreadMessageEdited:
    return ThreadMessageEdited(
        event_id=EventId(event_id),
        platform=PLATFORM,
        message_id=ExternalId(event["message"]["ts"]),
        agent=agent,
        text=text,
    )


def reply_action(
    channel: str,
    message: Mapping[str, Any],
    agent: Agent,
    text: str,
    files: tuple[InboundFile, ...] = (),
) -> ThreadMessage:
    """The "send to the shop" shortcut on an agent's thread message; at most once per message."""
    return ThreadMessage(
        event_id=EventId(f"reply:{channel}:{message['ts']}"),
        thread=ThreadRef(PLATFORM, ChannelId(channel), ThreadId(message["thread_ts"])),
        # The message's own ts already maps to the note made from it (one link per platform id).
        message_id=ExternalId(f"{message['ts']}:reply"),
        agent=agent,
        text=text,
        files=files,
        via_reply_action=True,
    )


def deleted_message(event_id: str, event: Mapping[str, Any], agent: Agent) -> ThreadMessageDeleted:
    return ThreadMessageDeleted(
        event_id=EventId(event_id),
        platform=PLATFORM,
        message_id=ExternalId(event["deleted_ts"]),
        agent=agent,
    )


def action_command(
    body: Mapping[str, Any], action: Mapping[str, Any], agent: Agent
) -> AgentCommand:
    """A button on a root message: the ticket id travels in the button's value."""
    stamp = action.get("action_ts") or body.get("trigger_id") or ""
    return AgentCommand(
        event_id=EventId(f"action:{agent.user_id}:{action['action_id']}:{stamp}"),
        platform=PLATFORM,
        agent=agent,
        command=commands.BUTTONS[action["action_id"]],
        ticket_id=TicketId(int(action["value"])),
    )


def slash_command(command: Mapping[str, Any], agent: Agent) -> AgentCommand:
    """`/pomoc claim 42`, `/pomoc priority 42 critical`, `/pomoc stats`; nothing -> help."""
    parsed, ticket_id = commands.parse_slash(command.get("text") or "")
    # Typed in a ticket's thread, the command needs no id (when Slack says which thread).
    thread_ts = command.get("thread_ts")
    channel = ChannelId(command["channel_id"]) if "channel_id" in command else None
    thread = ThreadRef(PLATFORM, channel, ThreadId(thread_ts)) if thread_ts and channel else None
    return AgentCommand(
        event_id=EventId(f"command:{command['trigger_id']}"),
        platform=PLATFORM,
        agent=agent,
        command=parsed,
        thread=thread,
        ticket_id=ticket_id,
    )
