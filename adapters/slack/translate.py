"""Pure Slack translation: views -> Block Kit, raw payloads -> `bot.events`, mrkdwn -> text."""

# Everything that came from a shop (titles, bodies, names, links) goes into rich_text text
# elements or plain_text, which Slack never formats or parses; what must be mrkdwn (the
# notification text) is escaped (`&`, `<`, `>`), so `<!channel>` or `<@U…>` never ping anyone.

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from adapters.slack import blocks
from bot import catalogue as cat
from bot import commands, texts
from bot.catalogue import text
from bot.events import (
    Agent,
    AgentCommand,
    CommandReply,
    InboundFile,
    ThreadMessage,
    ThreadMessageDeleted,
    ThreadMessageEdited,
    ThreadRef,
)
from bot.lifecycle import Status
from bot.richtext import RichText
from bot.views import LinkView, MessageView, TicketView
from bot.vocabulary import Author, ChannelId, EventId, ExternalId, Platform, ThreadId, TicketId

PLATFORM = Platform.SLACK
METADATA_TYPE = "pomoc_delivery"
REPLY_SHORTCUT = "pomoc_reply"  # the message shortcut's callback id, as set up in the Slack app
# Hosts that get the bot token with a file download (as slack-go's GHSA-3q3v-34v2-g88f fix).
SLACK_DOMAINS = ("slack.com", "slack-gov.com")


# -- outbound ------------------------------------------------------------------------------

# What one chat.postMessage carries: its notification `text` and its blocks.
Post = tuple[str, list[dict[str, Any]]]
# Pieces of text (each at most 3,000 characters) per root and per post: at most 12 keep a
# message's blocks well under Slack's 50 and its `text` under 40,000 characters; a description
# longer than that follows as a file, a longer post as several posts.
PIECES_PER_MESSAGE = 12
FULL_TEXT_NAME = "opis.txt"
BUTTON_LABEL = 75  # characters Slack shows on a button


def escape(text: str) -> str:
    """Defuse mrkdwn control characters in untrusted text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _url(url: str) -> str:
    """A URL safe inside `<url|label>`: escaped, and no `|` to cut the label short."""
    return escape(url).replace("|", "%7C")


def _link(url: str, label: str) -> str:
    return f"<{_url(url)}|{escape(label).replace('|', '¦')}>"


def _cut(text: str, limit: int) -> str:
    """For labels only (buttons, notifications): what a person reads in full is never cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def plain_text(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def metadata(key: str) -> dict[str, Any]:
    """Attached to every message Pomoc posts, so a retry can find an earlier copy."""
    return {"event_type": METADATA_TYPE, "event_payload": {"key": key}}


def metadata_key(message: Mapping[str, Any]) -> str | None:
    data = message.get("metadata") or {}
    if data.get("event_type") != METADATA_TYPE:
        return None
    key = (data.get("event_payload") or {}).get("key")
    return key if isinstance(key, str) else None


def shared_picture(
    messages: Sequence[Mapping[str, Any]], *, filename: str, after: str
) -> str | None:
    """The ts of a file shared as `filename` after the message `after`: an announcement's
    picture, which follows its text. File shares carry no metadata, so the filename (unique per
    announcement) and the order tell it; not who shared it, which Slack may show as the bot
    user rather than the bot."""
    for message in messages:
        names = [file.get("name") for file in message.get("files") or []]
        if filename in names and float(message["ts"]) > float(after):
            return str(message["ts"])
    return None


def ticket_fallback(ticket: TicketView, language: str) -> str:
    """The notification text (and what screen readers read)."""
    mark = "🔴 " if ticket.is_critical else ""
    # The on-call mention comes from the config, not from the shop; here it pages on phones too.
    page = f"{ticket.mention} " if ticket.mention else ""
    return page + _cut(
        f"{mark}#{ticket.id} {escape(ticket.title)} ({escape(ticket.shop_name)})", 300
    )


def description_fits(ticket: TicketView) -> bool:
    """Whether the root can show the whole description (else it goes into the thread as a
    file, and the root says so)."""
    return len(blocks.split(ticket.body)) <= PIECES_PER_MESSAGE


def ticket_blocks(ticket: TicketView, language: str) -> list[dict[str, Any]]:
    """The root message of a ticket's thread, rendered as the ticket is now.

    Everything the shop wrote (title, description, shop name, file names) sits in rich_text
    text elements or plain_text, which Slack shows literally."""
    out: list[dict[str, Any]] = []
    if ticket.mention:  # from the config (on-call), not from the shop: sent as is
        out.append(
            {"type": "section", "text": mrkdwn(f"{ticket.mention} {text(cat.URGENT, language)}")}
        )
    icon = "🔴" if ticket.is_critical else "🎫"
    out.append(
        {"type": "header", "text": plain_text(f"{icon} {text(cat.TICKET, language, id=ticket.id)}")}
    )
    if ticket.notice:  # Pomoc's own line for agents, e.g. why the ticket is on a fallback route
        out.append(blocks.rich_block(blocks.literal(f"⚠️ {ticket.notice}")))
    out.append(blocks.rich_block(blocks.literal(ticket.title, bold=True)))
    if description_fits(ticket):
        out += blocks.text_blocks(ticket.body)
    else:
        first = blocks.split(ticket.body)[0]
        note = text(cat.FULL_TEXT, language, name=FULL_TEXT_NAME)
        out += [
            blocks.rich_block(blocks.literal(first + "…")),
            blocks.rich_block(blocks.literal(note)),
        ]
    facts = [
        (cat.SHOP, ticket.shop_name),
        (cat.PRIORITY, cat.priority_label(ticket.priority, language)),
        (cat.DEPARTMENT, ticket.department),
        (cat.STATUS, cat.status_label(ticket.status, language)),
        (cat.ASSIGNEE, ticket.assignee or "—"),
    ]
    out.append(
        {
            "type": "section",
            "fields": [
                plain_text(_cut(f"{text(label, language)}: {value}", 1990))
                for label, value in facts
            ],
        }
    )
    if ticket.order_url:
        label = blocks.literal(f"{text(cat.ORDER, language)}: ")
        out.append(blocks.rich_block(label, blocks.link_element(ticket.order_url)))
    if ticket.attachments:
        names = ", ".join(a.filename for a in ticket.attachments)
        out.append(
            blocks.rich_block(blocks.literal(f"📎 {text(cat.ATTACHMENTS, language)}: {names}"))
        )
    if ticket.suggestions:
        lines = [f"• {_link(s.url, s.title)}" for s in ticket.suggestions[:5]]
        heading = text(cat.SUGGESTED, language)
        out.append({"type": "section", "text": mrkdwn(f"*{heading}:*\n" + "\n".join(lines))})
    out.append(
        {
            "type": "context",
            "elements": [mrkdwn(_link(ticket.page_url, text(cat.OPEN_PAGE, language)))],
        }
    )
    if not ticket.left:
        out.append(_ticket_actions(ticket, language))
    return out


def _ticket_actions(ticket: TicketView, language: str) -> dict[str, Any]:
    value = str(ticket.id)
    if ticket.status == Status.RESOLVED:
        buttons = [_button("pomoc_reopen", text(cat.BUTTON_REOPEN, language), value)]
    else:
        buttons = [
            _button("pomoc_claim", text(cat.BUTTON_CLAIM, language), value),
            _button("pomoc_resolve", text(cat.BUTTON_RESOLVE, language), value, style="primary"),
            _button("pomoc_critical", text(cat.BUTTON_CRITICAL, language), value, style="danger"),
        ]
    return {"type": "actions", "block_id": f"pomoc_ticket_{ticket.id}", "elements": buttons}


def _button(action_id: str, label: str, value: str, *, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": plain_text(_cut(label, BUTTON_LABEL)),
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def _author(message: MessageView, language: str) -> tuple[dict[str, Any], ...]:
    """Who speaks, as rich_text elements (a shop's name is never formatted or parsed)."""
    if message.author == Author.SHOP:
        return blocks.literal("🏪 "), blocks.literal(message.author_name or "Sklep", bold=True)
    if message.author == Author.BOT or message.kind in cat.SHOP_ACTIVITIES:
        return (blocks.literal(cat.activity(message.kind, message.by, language), bold=True),)
    if message.author == Author.NOTE:
        label = text(cat.NOTE_LABEL, language)
        return (blocks.literal(f"{label} · {message.author_name}", bold=True),)
    return (blocks.literal(message.author_name or texts.AGENT, bold=True),)


def message_posts(message: MessageView, language: str) -> list[Post]:
    """A message of the conversation as one or more posts, within Slack's limits, whole."""
    lead = (*_author(message, language), blocks.literal(": "))
    pieces = blocks.text_blocks(message.body, lead=lead)
    posts: list[Post] = []
    for start in range(0, len(pieces), PIECES_PER_MESSAGE):
        group = pieces[start : start + PIECES_PER_MESSAGE]
        shown = "".join(
            str(e.get("text") or e.get("url") or "")
            for block in group
            for section in block["elements"]
            for e in section["elements"]
        )
        posts.append((escape(shown), group))
    return posts


def announce_blocks(message: str, link: LinkView | None = None) -> list[dict[str, Any]]:
    """The text as literals, then `link` in a last block as a link element: a URL inside a
    literal is not made clickable."""
    out = blocks.text_blocks(message)
    if link is not None:
        out.append(blocks.rich_block(blocks.link_element(link.url, link.label)))
    return out


def announce_fallback(message: str, link: LinkView | None = None) -> str:
    """The notification text of an announcement: escaped, `link` as a safe `<url|label>`."""
    escaped = escape(message)
    return f"{escaped}\n{_link(link.url, link.label)}" if link is not None else escaped


def choice_blocks(reply: CommandReply) -> list[dict[str, Any]]:
    """An answer offering tickets to pick: one button per ticket (its id as the value)."""
    out: list[dict[str, Any]] = [blocks.rich_block(blocks.literal(reply.text))]
    for choice in reply.choices:
        out.append(
            {
                "type": "actions",
                "block_id": f"pomoc_choice_{choice.ticket_id}",
                "elements": [_button("pomoc_claim", choice.label, str(choice.ticket_id))],
            }
        )
    return out


# -- inbound -------------------------------------------------------------------------------


def is_thread_reply(event: Mapping[str, Any]) -> bool:
    thread_ts = event.get("thread_ts")
    return bool(thread_ts) and thread_ts != event.get("ts")


def is_from_bot(event: Mapping[str, Any], bot_user_id: str | None = None) -> bool:
    if event.get("bot_id") or event.get("subtype") == "bot_message":
        return True
    return bot_user_id is not None and event.get("user") == bot_user_id


def is_slack_file_url(url: str, *, extra_hosts: frozenset[str] = frozenset()) -> bool:
    """Whether the bot token may go with a request for `url`: https on Slack's own domains
    (files.slack.com, slack-gov.com), or a host the configuration points the API at (an
    emulator). An external file's `url_private` points elsewhere and never gets the token."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.netloc.lower() in extra_hosts or host in extra_hosts:
        return True
    return parts.scheme == "https" and any(
        host == domain or host.endswith("." + domain) for domain in SLACK_DOMAINS
    )


@dataclass(frozen=True, slots=True)
class Said:
    """An agent's thread message as the core needs it, resolved by the inbound side."""

    rich: RichText
    files: tuple[InboundFile, ...] = ()
    unavailable: tuple[str, ...] = ()
    mentions: tuple[Agent, ...] = ()
    to_colleague: bool = False


def thread_message(
    event_id: str, event: Mapping[str, Any], agent: Agent, said: Said
) -> ThreadMessage:
    return ThreadMessage(
        event_id=EventId(event_id),
        thread=ThreadRef(PLATFORM, ChannelId(event["channel"]), ThreadId(event["thread_ts"])),
        message_id=ExternalId(event["ts"]),
        agent=agent,
        text=said.rich.plain,
        html=said.rich.html,
        files=said.files,
        unavailable=said.unavailable,
        mentions=said.mentions,
        to_colleague=said.to_colleague,
        sent_at=stamped(event["ts"]),
    )


def stamped(ts: str) -> datetime | None:
    """The instant a Slack `ts` ("1764583200.123456", seconds since the epoch) names."""
    try:
        return datetime.fromtimestamp(float(ts), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def edited_message(
    event_id: str, event: Mapping[str, Any], agent: Agent, rich: RichText
) -> ThreadMessageEdited:
    return ThreadMessageEdited(
        event_id=EventId(event_id),
        platform=PLATFORM,
        message_id=ExternalId(event["message"]["ts"]),
        agent=agent,
        text=rich.plain,
        html=rich.html,
    )


def reply_action(
    event_id: str, channel: str, message: Mapping[str, Any], agent: Agent, said: Said
) -> ThreadMessage:
    """The "send to the shop" shortcut on an agent's thread message; at most once per message
    (the listener keys `event_id` by the channel and the message's ts)."""
    return ThreadMessage(
        event_id=EventId(event_id),
        thread=ThreadRef(PLATFORM, ChannelId(channel), ThreadId(message["thread_ts"])),
        # The message's own ts already maps to the note made from it (one link per platform id).
        message_id=ExternalId(f"{message['ts']}:reply"),
        agent=agent,
        text=said.rich.plain,
        html=said.rich.html,
        files=said.files,
        unavailable=said.unavailable,
        via_reply_action=True,
    )


def deleted_message(event_id: str, event: Mapping[str, Any], agent: Agent) -> ThreadMessageDeleted:
    return ThreadMessageDeleted(
        event_id=EventId(event_id),
        platform=PLATFORM,
        message_id=ExternalId(event["deleted_ts"]),
        agent=agent,
    )


def action_command(event_id: str, action: Mapping[str, Any], agent: Agent) -> AgentCommand:
    """A button on a root message or an answer: the ticket id travels in the button's value."""
    return AgentCommand(
        event_id=EventId(event_id),
        platform=PLATFORM,
        agent=agent,
        command=commands.BUTTONS[action["action_id"]],
        ticket_id=TicketId(int(action["value"])),
    )


def slash_command(
    event_id: str, command: Mapping[str, Any], agent: Agent, mentions: tuple[Agent, ...] = ()
) -> AgentCommand:
    """`/pomoc claim 42`, `/pomoc priority 42 critical`, `/pomoc stats`; nothing -> help.

    Slack never sends a slash command from a thread, so without a number the command names
    its channel (`claim` there lists the channel's open tickets)."""
    parsed, ticket_id = commands.parse_slash(command.get("text") or "")
    thread_ts = command.get("thread_ts")
    channel = ChannelId(command["channel_id"]) if "channel_id" in command else None
    thread = ThreadRef(PLATFORM, channel, ThreadId(thread_ts)) if thread_ts and channel else None
    return AgentCommand(
        event_id=EventId(event_id),
        platform=PLATFORM,
        agent=agent,
        command=parsed,
        thread=thread,
        ticket_id=ticket_id,
        channel=channel,
        mentions=mentions,
    )
