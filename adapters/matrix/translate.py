"""Pure translation between Pomoc and Matrix: views -> event content, raw events -> bot.events."""

# Everything a shop wrote is untrusted: it is HTML-escaped in `formatted_body`, `@room` is
# neutralised in both bodies, and it never reaches `m.mentions` (which we always set, so clients
# apply intentional mentions instead of scanning the body for names). What agents write arrives
# as Element sends it: threads, replies outside the thread, quote fallbacks, edits, emotes,
# pills and HTML, and leaves as `bot.richtext` keeps it.

import html
from dataclasses import dataclass
from typing import Any

from bot import catalogue as cat
from bot import richtext, texts
from bot.catalogue import text
from bot.events import CommandReply
from bot.lifecycle import Status
from bot.views import AttachmentView, LinkView, MessageView, PictureView, TicketView
from bot.vocabulary import Author, Platform

PLATFORM = Platform.MATRIX
Content = dict[str, Any]
WORD_JOINER = "\u2060"
MATRIX_TO = "https://matrix.to/#/"
HTML_FORMAT = "org.matrix.custom.html"
# Characters of text per event: with its escaped HTML twin it stays far below Matrix's 64 KiB.
TEXT_LIMIT = 6000
FULL_TEXT_NAME = "opis.txt"


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
        "format": HTML_FORMAT,
        "formatted_body": "<br>".join(markup for _, markup in lines),
        "m.mentions": {"user_ids": list(mentions)} if mentions else {},
    }


def split(body: str, limit: int = TEXT_LIMIT) -> list[str]:
    """`body` in pieces of at most `limit` characters, cut at a line break or a space."""
    pieces: list[str] = []
    rest = body
    while len(rest) > limit:
        cut = max(rest.rfind("\n", limit // 2, limit), rest.rfind(" ", limit // 2, limit))
        cut = cut if cut > 0 else limit
        pieces.append(rest[:cut])
        rest = rest[cut:].lstrip("\n ") if cut < limit else rest[cut:]
    return [*pieces, rest] if rest or not pieces else pieces


# -- outbound ---------------------------------------------------------------------------------


def description_fits(ticket: TicketView) -> bool:
    """Whether the root shows the whole description (else it follows as a file)."""
    return len(ticket.body) <= TEXT_LIMIT


def root_content(ticket: TicketView, language: str = "pl") -> Content:
    """The thread root: what the ticket is, what the shop wrote, where it stands."""
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
    if ticket.notice:  # Pomoc's own line for agents, e.g. why the ticket is on a fallback route
        lines.append((f"⚠️ {plain(ticket.notice)}", f"⚠️ <i>{escape(ticket.notice)}</i>"))
    body = ticket.body if description_fits(ticket) else split(ticket.body)[0] + "…"
    lines.append((plain(body), f"<blockquote>{escape(body)}</blockquote>"))
    if not description_fits(ticket):
        note = text(cat.FULL_TEXT, language, name=FULL_TEXT_NAME)
        lines.append((note, f"<i>{html.escape(note)}</i>"))
    facts = [
        (text(cat.SHOP, language), ticket.shop_name),
        (text(cat.PRIORITY, language), cat.priority_label(ticket.priority, language)),
        (text(cat.DEPARTMENT, language), ticket.department),
        (text(cat.STATUS, language), cat.status_label(ticket.status, language)),
        (text(cat.ASSIGNEE, language), ticket.assignee or "—"),
    ]
    lines.append(
        (
            " · ".join(f"{k}: {plain(v)}" for k, v in facts),
            " · ".join(f"{k}: <b>{escape(v)}</b>" for k, v in facts),
        )
    )
    if ticket.order_url:
        label = text(cat.ORDER, language)
        lines.append((f"{label}: {plain(ticket.order_url)}", f"{label}: " + link(ticket.order_url)))
    if ticket.attachments:
        label, names = (
            text(cat.ATTACHMENTS, language),
            ", ".join(a.filename for a in ticket.attachments),
        )
        lines.append((f"📎 {label}: {plain(names)}", f"📎 {label}: {escape(names)}"))
    if ticket.suggestions:
        label = text(cat.SUGGESTED, language)
        lines.append(
            (
                f"{label}: " + ", ".join(f"{s.title} ({s.url})" for s in ticket.suggestions),
                f"{label}: " + ", ".join(link(s.url, s.title) for s in ticket.suggestions),
            )
        )
    if ticket.signals:
        label, signals = text(cat.SIGNALS, language), ", ".join(ticket.signals)
        lines.append((f"{label}: {plain(signals)}", f"{label}: {escape(signals)}"))
    page = text(cat.OPEN_PAGE, language)
    lines.append((f"{page}: {ticket.page_url}", link(ticket.page_url, page)))
    if not ticket.left:
        hint = cat.MATRIX_REOPEN if ticket.status == Status.RESOLVED else cat.MATRIX_COMMANDS
        lines.append((text(hint, language), f"<i>{html.escape(text(hint, language))}</i>"))
    return _message("m.text", lines, mentions)


def root_edit_content(root_id: str, ticket: TicketView, language: str = "pl") -> Content:
    """An `m.replace` of the root; nobody is paged again by an edit."""
    return replace_content(root_id, root_content(ticket, language))


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


def _speaker(message: MessageView, language: str) -> tuple[str, str, str]:
    """(msgtype, plain label, html label) of who speaks."""
    if message.author == Author.SHOP:
        who = f"🛒 {message.author_name}"
        return "m.text", plain(who), f"<b>{escape(who)}</b>"
    if message.author == Author.BOT or message.kind in cat.SHOP_ACTIVITIES:
        who = cat.activity(message.kind, message.by, language)
        return "m.notice", plain(who), f"<b>{escape(who)}</b>"
    if message.author == Author.NOTE:
        who = f"{text(cat.NOTE_LABEL, language)} · {message.author_name}"
        return "m.notice", plain(who), f"<i>{escape(who)}</i>"
    who = message.author_name or texts.AGENT  # an agent's message written elsewhere
    return "m.text", plain(who), f"<b>{escape(who)}</b>"


def message_contents(
    message: MessageView, root_id: str | None = None, language: str = "pl"
) -> list[Content]:
    """A message of the ticket's conversation, in as many events as its length needs."""
    msgtype, who, who_html = _speaker(message, language)
    pieces = split(message.body)
    contents = []
    for number, piece in enumerate(pieces):
        markup = escape(piece)
        if number == 0 and message.html and len(pieces) == 1:
            markup = richtext.sanitise(message.html)  # an agent's own formatting, kept
        lead = (f"{who}: ", f"{who_html}: ") if number == 0 else ("", "")
        content = _message(msgtype, [(lead[0] + plain(piece), lead[1] + markup)])
        if root_id is not None:
            content["m.relates_to"] = thread_relation(root_id)
        contents.append(content)
    return contents


def notice_content(
    message: str, root_id: str | None = None, *, page_link: LinkView | None = None
) -> Content:
    """Text of ours (a command reply, an announcement): escaped like any other text; then
    `page_link` as a link (its URL in `body`, where nothing is clickable)."""
    lines = [(plain(message), escape(message))]
    if page_link is not None:
        lines.append((page_link.plain, link(page_link.url, page_link.label)))
    content = _message("m.notice", lines)
    if root_id is not None:
        content["m.relates_to"] = thread_relation(root_id)
    return content


def command_reply_content(reply: CommandReply, root_id: str | None, prefix: str = "!") -> Content:
    """The core's answer to an agent: in the thread, or in the room for a room command."""
    lines = [reply.text if reply.ok else f"⚠️ {reply.text}"]
    lines += [f"• {choice.label} — {prefix}claim {choice.ticket_id}" for choice in reply.choices]
    return notice_content("\n".join(lines), root_id)


THUMBNAIL_TYPE = "image/png"


@dataclass(frozen=True, slots=True)
class ImageInfo:
    """An image's size and thumbnail (Matrix `info.w/h`, `thumbnail_*`); the thumbnail's url
    once it is uploaded."""

    width: int
    height: int
    # THUMBNAIL_TYPE bytes of a thumbnail, None when the image is small enough to be its own.
    thumbnail: bytes | None = None
    thumbnail_width: int = 0
    thumbnail_height: int = 0
    thumbnail_url: str | None = None


def _file_info(content_type: str, size: int, image: ImageInfo | None) -> dict[str, Any]:
    """A file event's `info`: type and size, and for an image its size and thumbnail."""
    info: dict[str, Any] = {"mimetype": content_type, "size": size}
    if image is not None:
        info |= {"w": image.width, "h": image.height}
        if image.thumbnail_url:
            info["thumbnail_url"] = image.thumbnail_url
            info["thumbnail_info"] = {
                "w": image.thumbnail_width,
                "h": image.thumbnail_height,
                "size": len(image.thumbnail or b""),
                "mimetype": THUMBNAIL_TYPE,
            }
    return info


def picture_content(picture: PictureView, mxc_url: str, image: ImageInfo | None) -> Content:
    """An announcement's picture in the room; `body` is its alt text, as the spec has it."""
    return {
        "msgtype": "m.image",
        "body": picture.alt_text,
        "filename": picture.filename,
        "url": mxc_url,
        "info": _file_info(picture.content_type, len(picture.data), image),
        "m.mentions": {},
    }


def attachment_content(
    attachment: AttachmentView, mxc_url: str, root_id: str, image: ImageInfo | None = None
) -> Content:
    info = _file_info(attachment.content_type, attachment.size, image)
    return {
        "msgtype": "m.image" if attachment.is_image else "m.file",
        "body": attachment.filename,
        "filename": attachment.filename,
        "url": mxc_url,
        "info": info,
        "m.mentions": {},
        "m.relates_to": thread_relation(root_id),
    }


def text_file_content(name: str, size: int, mxc_url: str, root_id: str) -> Content:
    """A text Pomoc uploaded whole (a description too long for the root)."""
    return {
        "msgtype": "m.file",
        "body": name,
        "filename": name,
        "url": mxc_url,
        "info": {"mimetype": "text/plain", "size": size},
        "m.mentions": {},
        "m.relates_to": thread_relation(root_id),
    }
