"""Agents' formatted messages as one safe subset: plain text and sanitised HTML, kept together."""

# The subset: paragraphs, line breaks, bold, italic, struck text, lists, quotes, links (http,
# https, mailto), inline code and code blocks. Each adapter turns its platform's formatting into
# HTML of that subset; `from_html` sanitises it with nh3, drops what the shop must not get (reply
# fallbacks, chat-only links such as user pills) and derives the plain text from the same tree,
# so both always say the same. Whatever the source, the HTML is sanitised again at rendering.

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser

import nh3

TAGS = frozenset(
    {"p", "br", "strong", "em", "del", "ul", "ol", "li", "blockquote", "a", "code", "pre"}
)
# Tags whose content goes too: quoted reply fallbacks and anything executable or embedded.
DROPPED = frozenset({"mx-reply", "script", "style"})
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer"
_EQUIVALENT = {"b": "strong", "i": "em", "s": "del", "strike": "del"}
_BLOCKS = frozenset({"p", "ul", "ol", "li", "blockquote", "pre"})
_FORMATTING = TAGS - {"p", "br"}
_URL = re.compile(r"https?://[^\s<>\"']+")
_TRAILING = ".,;:!?)»”'"


@dataclass(frozen=True, slots=True)
class RichText:
    """What an agent wrote: `plain` always; `html` only when formatting adds to the plain text."""

    plain: str
    html: str | None = None
    # Users mentioned (ids, in order) and whether the text opens by addressing one of them.
    mentions: tuple[str, ...] = field(default=())
    opens_with_mention: bool = False


def sanitise(markup: str) -> str:
    """The subset of `markup` (with `<b>`-like synonyms), safe to put into a page."""
    return nh3.clean(
        markup,
        tags=set(TAGS | _EQUIVALENT.keys()),
        clean_content_tags=set(DROPPED),
        attributes={"a": {"href"}},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        # A link from a message opens beside the inbox, never in place of it.
        set_tag_attribute_values={"a": {"target": "_blank"}},
    )


class _Walker(HTMLParser):
    """Re-serialises sanitised HTML into the subset while collecting its plain text."""

    def __init__(
        self, *, mention_of: Callable[[str], str | None], strip: str | None, lead: str
    ) -> None:
        super().__init__(convert_charrefs=True)
        self.mention_of = mention_of
        self.strip, self.lead = strip, lead
        self.out: list[str] = []
        self.plain: list[str] = []
        self.mentions: list[str] = []
        self.formatted = False
        self.opens_with_mention: bool | None = None  # decided by the first content
        self._lists: list[list[int]] = []  # per open list: [next number] or [] for bullets
        self._links: list[tuple[str | None, str | None, int]] = []  # (href, mention, start)
        self._pre = 0
        self._started = False

    # -- helpers --------------------------------------------------------------------------

    def _break(self, count: int) -> None:
        """End the current plain-text block with `count` newlines (never at the very start)."""
        text = "".join(self.plain)
        if not text:
            return
        stripped = text.rstrip("\n")
        self.plain = [stripped + "\n" * max(count, len(text) - len(stripped))]

    def _first_content(self, *, mention: bool) -> None:
        if self.opens_with_mention is None:
            self.opens_with_mention = mention

    # -- parser callbacks -----------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        tag = _EQUIVALENT.get(tag, tag)
        if tag not in TAGS:
            return
        if tag == "br":
            self.out.append("<br>")
            self.plain.append("\n")
            return
        if tag == "a":
            href = dict(attrs).get("href")
            mention = self.mention_of(href) if href else None
            if mention is not None:
                self.mentions.append(mention)
                self._first_content(mention=True)
            else:
                self.formatted = True
                self.out.append(f'<a href="{html.escape(href or "", quote=True)}">')
            self._links.append((href, mention, len("".join(self.plain))))
            return
        if tag in _FORMATTING:
            self.formatted = True
        if tag in _BLOCKS:
            self._break(2 if tag in ("p", "blockquote", "pre") and not self._lists else 1)
        if tag in ("ul", "ol"):
            self._lists.append([1] if tag == "ol" else [])
        elif tag == "li":
            depth = "  " * max(len(self._lists) - 1, 0)
            numbers = self._lists[-1] if self._lists else []
            marker = f"{numbers[0]}. " if numbers else "• "
            if numbers:
                numbers[0] += 1
            self.plain.append(depth + marker)
        elif tag == "pre":
            self._pre += 1
        self.out.append(f"<{tag}>")

    def handle_endtag(self, tag: str) -> None:
        tag = _EQUIVALENT.get(tag, tag)
        if tag not in TAGS or tag == "br":
            return
        if tag == "a":
            if not self._links:
                return
            href, mention, start = self._links.pop()
            if mention is None:
                self.out.append("</a>")
                label = "".join(self.plain)[start:].strip()
                if href and not same_link(label, href):
                    self.plain.append(f" ({href.removeprefix('mailto:')})")
            return
        if tag in ("ul", "ol") and self._lists:
            self._lists.pop()
        elif tag == "pre":
            self._pre = max(self._pre - 1, 0)
        self.out.append(f"</{tag}>")
        if tag in _BLOCKS:
            self._break(2 if tag in ("p", "blockquote", "pre") and not self._lists else 1)

    def handle_data(self, data: str) -> None:
        if not self._pre:
            data = re.sub(r"\s*\n\s*", " ", data) if "\n" in data else data
            if not data.strip():  # between blocks it is layout, between words a space
                if self.plain and not "".join(self.plain).endswith(("\n", " ")):
                    self.plain.append(" ")
                    self.out.append(" ")
                return
        if not self._started:
            if not data.strip():
                return
            self._started = True
            data = data.lstrip()
            if self.strip and data.lower().startswith(self.strip.lower()):
                data = data[len(self.strip) :].lstrip()
            data = self.lead + data
            if not self._links:
                self._first_content(mention=False)
        self.out.append(html.escape(data, quote=False))
        self.plain.append(data)


def same_link(label: str, url: str) -> bool:
    """Whether a link's label just shows its address (Slack's automatic links, mailto)."""

    def bare(text: str) -> str:
        return re.sub(r"^(mailto:|https?://)", "", text.strip()).rstrip("/").lower()

    return bare(label) == bare(url)


def from_html(
    markup: str,
    *,
    mention_of: Callable[[str], str | None] = lambda _href: None,
    strip: str | None = None,
    lead: str = "",
) -> RichText:
    """Sanitised subset of `markup` and its plain text.

    `mention_of` names the user a link stands for (a Matrix pill): such links become their
    label, recorded in `mentions`. `strip` drops a leading prefix (`!reply`) and `lead` puts
    text before the first word (an emote's "Anna "), in both forms."""
    walker = _Walker(mention_of=mention_of, strip=strip, lead=lead)
    walker.feed(sanitise(markup))
    walker.close()
    plain = "".join(walker.plain).strip()
    rendered = sanitise("".join(walker.out)).strip() if walker.formatted else None
    return RichText(
        plain=plain,
        html=rendered or None,
        mentions=tuple(walker.mentions),
        opens_with_mention=bool(walker.opens_with_mention),
    )


def strip_prefix(text: RichText, prefix: str) -> RichText:
    """`text` without a leading `prefix` (e.g. `!reply`), in both forms."""
    plain = text.plain.strip()
    if plain.lower().startswith(prefix.lower()):
        plain = plain[len(prefix) :].strip()
    if text.html is None:
        return replace(text, plain=plain)
    return replace(text, plain=plain, html=from_html(text.html, strip=prefix).html)


def prepend(text: RichText, lead: str) -> RichText:
    """`lead` before the text (an emote is "Anna checks ..."), in both forms."""
    plain = f"{lead} {text.plain}".strip()
    if text.html is None:
        return replace(text, plain=plain)
    return replace(text, plain=plain, html=from_html(text.html, lead=lead + " ").html)


def linkify(plain: str) -> str:
    """Plain text as HTML: escaped, with http(s) URLs made clickable."""
    parts: list[str] = []
    last = 0
    for match in _URL.finditer(plain):
        url = match.group(0).rstrip(_TRAILING)
        end = match.start() + len(url)
        parts.append(html.escape(plain[last : match.start()]))
        href = html.escape(url)
        parts.append(f'<a href="{href}" target="_blank" rel="{LINK_REL}">{href}</a>')
        last = end
    parts.append(html.escape(plain[last:]))
    return "".join(parts)


def render(plain: str, markup: str | None) -> str:
    """What a page shows of a message: its sanitised subset, or the plain text linkified."""
    return sanitise(markup) if markup else linkify(plain)
