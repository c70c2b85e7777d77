"""Read-only snapshots the core hands out: adapters and the panel never see ORM rows."""

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.lifecycle import Status
from bot.vocabulary import AttachmentId, Author, MessageId, Priority, ShopId, TicketId


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A help-center article offered for a ticket."""

    article_id: str
    title: str
    url: str
    score: float


@dataclass(frozen=True, slots=True)
class AttachmentView:
    id: AttachmentId
    filename: str
    content_type: str
    size: int
    path: Path

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    def read(self) -> bytes:
        return self.path.read_bytes()


@dataclass(frozen=True, slots=True)
class LinkView:
    """A link that ends an announcement (the weekly report's managers' page): carried apart from
    the text, whose every character the adapters show literally, so they can make it clickable."""

    url: str
    label: str

    @property
    def plain(self) -> str:
        """The link as a line of plain text, where nothing is clickable."""
        return f"{self.label}: {self.url}"


@dataclass(frozen=True, slots=True)
class PictureView:
    """An image Pomoc made that goes with an announcement (the weekly chart)."""

    filename: str
    alt_text: str  # what it shows, for screen readers and chat previews
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class TicketView:
    """A ticket as agents see it in the root message of its thread."""

    id: TicketId
    shop_name: str
    title: str
    body: str
    status: Status
    priority: Priority
    department: str
    assignee: str | None
    order_url: str | None
    created_at: datetime
    # The agents' read-only page of the ticket (a signed, time-bounded link).
    page_url: str
    suggestions: tuple[Suggestion, ...] = ()
    signals: tuple[str, ...] = ()
    attachments: tuple[AttachmentView, ...] = ()
    # Who to page with the root message (e.g. on-call at night); platform-specific user/group id.
    mention: str | None = None
    # A line for agents from Pomoc itself, e.g. why the ticket is on a fallback route.
    notice: str | None = None
    # The root of a thread the ticket moved away from: it offers no actions any more.
    left: bool = False

    @property
    def is_critical(self) -> bool:
        return self.priority == Priority.CRITICAL


@dataclass(frozen=True, slots=True)
class MessageView:
    """A message to post into a ticket's thread."""

    id: MessageId
    ticket_id: TicketId
    author: Author
    author_name: str
    body: str
    attachments: tuple[AttachmentView, ...] = field(default=())
    # The body's formatting (bot/richtext.py), when an agent wrote it with some.
    html: str | None = None
    # What a bot message is (resolved, article, ...) and which agent's action caused it: the
    # thread shows it as an activity line.
    kind: str | None = None
    by: str | None = None


# -- the shop's side (the panel API and the web inbox) -----------------------------------------


@dataclass(frozen=True, slots=True)
class ShopTicket:
    """A row of the shop's ticket list."""

    id: TicketId
    shop_id: ShopId
    title: str
    status: Status
    priority: Priority
    department: str
    unread: bool
    order_url: str | None
    created_at: datetime
    last_activity_at: datetime
    resolved_at: datetime | None
    # Its thread exists in the agents' chat. An open ticket without one still waits for support
    # (a channel may be blocked): the shop must not read it as being in an agent's hands.
    in_chat: bool = False


@dataclass(frozen=True, slots=True)
class ShopAttachment:
    id: AttachmentId
    ticket_id: TicketId
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True, slots=True)
class ShopMessage:
    """A message as the shop reads it (never an internal note)."""

    id: MessageId
    ticket_id: TicketId
    author: Author
    author_name: str
    body: str
    created_at: datetime
    edited_at: datetime | None
    kind: str | None = None  # what a bot message is: suggestions, queued, resolved, ...
    body_html: str | None = None  # an agent's formatting, sanitised (bot/richtext.py)
    suggestions: tuple[dict[str, Any], ...] = ()
    attachments: tuple[ShopAttachment, ...] = ()


@dataclass(frozen=True, slots=True)
class ShopRating:
    """The shop's satisfaction rating of its resolved ticket (the latest one counts)."""

    score: int  # 1..5
    comment: str | None
    created_at: datetime
    updated_at: datetime  # when it was last changed (created_at if never)


@dataclass(frozen=True, slots=True)
class Conversation:
    """A ticket as its shop sees it: the description and messages in order."""

    ticket: ShopTicket
    body: str
    messages: tuple[ShopMessage, ...]
    rating: ShopRating | None = None


@dataclass(frozen=True, slots=True)
class ShopTickets:
    tickets: tuple[ShopTicket, ...]
    unread: int


@dataclass(frozen=True, slots=True)
class StoredFile:
    """An attachment the shop may download: where its bytes are and how to serve them."""

    filename: str
    content_type: str
    path: Path


# -- the agents' read-only ticket page -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AgentMessage:
    """A message as agents see it: notes, withdrawn and deleted messages included."""

    author: Author
    author_name: str
    body: str
    body_html: str | None
    created_at: datetime
    edited_at: datetime | None
    deleted_at: datetime | None
    kind: str | None
    attachments: tuple[AttachmentView, ...] = ()


@dataclass(frozen=True, slots=True)
class AuditLine:
    created_at: datetime
    actor: str
    action: str
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class AgentTicket:
    """Everything about one ticket an agent may read (acting stays in chat)."""

    ticket: TicketView
    messages: tuple[AgentMessage, ...]
    audit: tuple[AuditLine, ...]
