"""Slack formatting both ways: agents' rich_text and mrkdwn -> rich text; shop text -> inert."""

# Inbound, Slack's `rich_text` block (sections, lists, quotes, preformatted; text with styles,
# links, users, channels, emoji) becomes HTML of the subset `bot.richtext` keeps, with names in
# place of ids. Outbound, text from a shop goes into `rich_text` text elements, which Slack never
# parses: `*`, `_`, `~`, backticks, `<!channel>` and `<@U…>` stay literal. Long text is split at
# line or word boundaries to respect Slack's limits, never cut.

import html
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import emoji

from bot import texts
from bot.richtext import RichText, from_html, same_link

TEXT_LIMIT = 3000  # characters in one section (and, here, one rich_text block)
_STYLES = (("bold", "strong"), ("italic", "em"), ("strike", "del"), ("code", "code"))


@dataclass(frozen=True, slots=True)
class Names:
    """Display names for the ids a message mentions (resolved by the inbound side)."""

    users: Mapping[str, str] = field(default_factory=dict)
    channels: Mapping[str, str] = field(default_factory=dict)
    fallback_user: str = texts.AGENT
    fallback_channel: str = texts.CHANNEL


def emoji_text(name: str, unicode: str | None = None) -> str:
    """`:pray:` as 🙏: Slack's code points when given, else the shortcode table; custom emoji
    stay as their name."""
    if unicode:
        try:
            return "".join(chr(int(point, 16)) for point in unicode.split("-"))
        except ValueError:
            pass
    shortcode = f":{name}:"
    return emoji.emojize(shortcode, language="alias")


def shortcodes(text: str) -> str:
    return emoji.emojize(text, language="alias")


# -- inbound ---------------------------------------------------------------------------------


def rich_text_blocks(message: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [b for b in message.get("blocks") or [] if b.get("type") == "rich_text"]


def _inline(element: Mapping[str, Any], names: Names) -> str:
    kind = element.get("type")
    if kind == "text":
        text = html.escape(str(element.get("text") or ""), quote=False).replace("\n", "<br>")
        style = element.get("style") or {}
        for key, tag in _STYLES:
            if style.get(key):
                text = f"<{tag}>{text}</{tag}>"
        return text
    if kind == "link":
        url = str(element.get("url") or "")
        label = html.escape(str(element.get("text") or url), quote=False)
        return f'<a href="{html.escape(url, quote=True)}">{label}</a>'
    if kind == "user":
        user = str(element.get("user_id"))
        return html.escape("@" + names.users.get(user, names.fallback_user), quote=False)
    if kind == "channel":
        channel = str(element.get("channel_id"))
        return html.escape("#" + names.channels.get(channel, names.fallback_channel), quote=False)
    if kind == "emoji":
        return html.escape(emoji_text(str(element.get("name")), element.get("unicode")))
    if kind == "broadcast":
        return html.escape("@" + str(element.get("range") or "channel"))
    if kind == "usergroup":
        return html.escape("@" + texts.TEAM, quote=False)
    return html.escape(str(element.get("fallback") or element.get("text") or ""), quote=False)


def _inlines(elements: list[Mapping[str, Any]], names: Names) -> str:
    return "".join(_inline(e, names) for e in elements).strip().removesuffix("<br>").strip()


def _element_html(element: Mapping[str, Any], names: Names) -> str:
    kind = element.get("type")
    inner = element.get("elements") or []
    if kind == "rich_text_section":
        content = _inlines(inner, names)
        return f"<p>{content}</p>" if content.replace("<br>", "").strip() else ""
    if kind == "rich_text_quote":
        return f"<blockquote>{_inlines(inner, names)}</blockquote>"
    if kind == "rich_text_preformatted":
        code = "".join(html.escape(str(e.get("text") or e.get("url") or "")) for e in inner)
        return f"<pre><code>{code}</code></pre>"
    return ""


def _lists_html(elements: list[Mapping[str, Any]], names: Names) -> Iterator[str]:
    """Sections, quotes and code as they come; consecutive lists nested by their `indent`."""
    open_lists: list[str] = []  # tags of the lists open (each with an item open), outermost first
    for element in elements:
        if element.get("type") != "rich_text_list":
            while open_lists:
                yield f"</li></{open_lists.pop()}>"
            yield _element_html(element, names)
            continue
        tag = "ol" if element.get("style") == "ordered" else "ul"
        depth = int(element.get("indent") or 0) + 1
        while len(open_lists) > depth or (len(open_lists) == depth and open_lists[-1] != tag):
            yield f"</li></{open_lists.pop()}>"
        continuing = len(open_lists) == depth
        while len(open_lists) < depth:  # a deeper list opens inside the item before it
            open_lists.append(tag)
            yield f"<{tag}>"
        for number, item in enumerate(element.get("elements") or []):
            close = "</li>" if continuing or number else ""
            yield f"{close}<li>{_inlines(item.get('elements') or [], names)}"
    while open_lists:
        yield f"</li></{open_lists.pop()}>"


def blocks_html(blocks: list[Mapping[str, Any]], names: Names) -> str:
    return "".join(
        part for block in blocks for part in _lists_html(block.get("elements") or [], names)
    )


def mentioned_ids(message: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """(user ids, channel ids) the message's rich_text mentions, in order."""
    users: list[str] = []
    channels: list[str] = []

    def walk(elements: list[Mapping[str, Any]]) -> None:
        for element in elements:
            if element.get("type") == "user":
                users.append(str(element.get("user_id")))
            elif element.get("type") == "channel":
                channels.append(str(element.get("channel_id")))
            walk(element.get("elements") or [])

    for block in rich_text_blocks(message):
        walk(block.get("elements") or [])
    return users, channels


def first_inline(message: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The first thing the message says (skipping blank text)."""
    for block in rich_text_blocks(message):
        for section in block.get("elements") or []:
            for element in section.get("elements") or []:
                if element.get("type") == "text" and not str(element.get("text") or "").strip():
                    continue
                return element  # type: ignore[no-any-return]
    return None


def rich_from_blocks(message: Mapping[str, Any], names: Names) -> RichText | None:
    """The shop's rich text of a message with rich_text blocks; None when it has none."""
    blocks = rich_text_blocks(message)
    if not blocks:
        return None
    return from_html(blocks_html(blocks, names))


# -- mrkdwn -> plain text ------------------------------------------------------------------

_ANGLE = re.compile(r"<([^<>]*)>")
_CODE_BLOCK = re.compile(r"```\n?(.*?)\n?```", re.DOTALL)
_CODE = re.compile(r"`([^`\n]+)`")
_BOLD = re.compile(r"(?<![\w*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?!\s)([^_\n]+?)(?<!\s)_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~])~(?!\s)([^~\n]+?)(?<!\s)~(?![\w~])")
_MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|[^<>]*)?>")
_CHANNEL = re.compile(r"<#([A-Z0-9]+)(?:\|[^<>]*)?>")


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


def to_plain(
    text: str,
    user_name: Callable[[str], str] | None = None,
    channel_name: Callable[[str], str] | None = None,
) -> str:
    """Slack mrkdwn as the shop should read it: names, labelled links, emoji, no markup."""

    def angle(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            user = target[1:]
            return "@" + (label or (user_name(user) if user_name else texts.AGENT))
        if target.startswith("#"):
            channel = target[1:]
            return "#" + (label or (channel_name(channel) if channel_name else texts.CHANNEL))
        if target.startswith("!"):
            special = target[1:]
            if special.startswith("subteam^"):
                return label or "@" + texts.TEAM
            if special.startswith("date"):
                return label or ""
            return f"@{special}"
        if label and not same_link(label, target):
            return f"{label} ({target.removeprefix('mailto:')})"
        return label or target.removeprefix("mailto:")

    text = _ANGLE.sub(angle, text)
    text = _CODE_BLOCK.sub(r"\1", text)
    text = _CODE.sub(r"\1", text)
    text = _BOLD.sub(r"\1", text)
    text = _ITALIC.sub(r"\1", text)
    text = _STRIKE.sub(r"\1", text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return shortcodes(text)


def rich_text(message: Mapping[str, Any], names: Names) -> RichText:
    """What the shop reads of an agent's message: built from its rich_text blocks (formatting
    kept), else from the mrkdwn `text` (plain)."""
    rich = rich_from_blocks(message, names)
    if rich is not None:
        return rich
    plain = to_plain(
        message.get("text") or "",
        lambda user: names.users.get(user, names.fallback_user),
        lambda channel: names.channels.get(channel, names.fallback_channel),
    )
    return RichText(plain)


def mentions_of(message: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """(users, channels) a message mentions: its blocks', else its mrkdwn text's."""
    users, channels = mentioned_ids(message)
    text = message.get("text") or ""
    users += [u for u in mentioned_users(text) if u not in users]
    channels += [c for c in _CHANNEL.findall(text) if c not in channels]
    return users, channels


def opens_with_colleague(message: Mapping[str, Any], bot_user_id: str | None) -> bool:
    """The message starts by addressing someone (`@Tomek can you look?`), not the bot."""
    first = first_inline(message)
    if first is not None:
        return first.get("type") == "user" and first.get("user_id") != bot_user_id
    match = _MENTION.match((message.get("text") or "").lstrip())
    return match is not None and match.group(1) != bot_user_id


# -- outbound: text Slack does not format ------------------------------------------------------


def split(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """`text` in pieces of at most `limit` characters, cut at a line break or a space when one
    is near; nothing is dropped."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", limit // 2, limit)
        if cut < 0:
            cut = rest.rfind(" ", limit // 2, limit)
        if cut < 0:
            cut = limit
        pieces.append(rest[:cut])
        rest = rest[cut:].lstrip("\n ") if cut < limit else rest[cut:]
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def literal(text: str, *, bold: bool = False) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "text", "text": text}
    if bold:
        element["style"] = {"bold": True}
    return element


def link_element(url: str, label: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "link", "url": url}
    if label:
        element["text"] = label
    return element


def rich_block(*elements: dict[str, Any]) -> dict[str, Any]:
    """One rich_text block of one section: its text elements are shown exactly as given."""
    return {
        "type": "rich_text",
        "elements": [{"type": "rich_text_section", "elements": list(elements)}],
    }


def text_blocks(
    text: str, *, lead: tuple[dict[str, Any], ...] = (), limit: int = TEXT_LIMIT
) -> list[dict[str, Any]]:
    """`text` as rich_text blocks of at most `limit` characters, `lead` before the first."""
    budget = max(limit - sum(len(str(e.get("text", ""))) for e in lead), 1)
    first, *others = split(text, budget)
    rest = text[len(first) :].lstrip("\n ") if others else ""
    blocks = [rich_block(*lead, literal(first))]
    blocks += [rich_block(literal(piece)) for piece in split(rest, limit)] if rest else []
    return blocks
