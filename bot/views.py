"""Read-only snapshots the core hands to adapters for rendering; adapters never see ORM rows."""

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A help-center article offered for a ticket."""

    article_id: str
    title: str
    url: str
    score: float


@dataclass(frozen=True, slots=True)
class AttachmentView:
    id: int
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
class TicketView:
    id: int
    shop_name: str
    title: str
    body: str
    status: str
    priority: str
    department: str
    assignee: str | None
    order_url: str | None
    created_at: datetime
    panel_url: str
    suggestions: tuple[Suggestion, ...] = ()
    signals: tuple[str, ...] = ()
    attachments: tuple[AttachmentView, ...] = ()
    # Who to page with the root message (e.g. on-call at night); platform-specific user/group id.
    mention: str | None = None

    @property
    def is_critical(self) -> bool:
        return self.priority == "critical"


@dataclass(frozen=True, slots=True)
class MessageView:
    """A message to post into a ticket's thread."""

    id: int
    ticket_id: int
    author: str  # shop / bot / agent / note / system
    author_name: str
    body: str
    attachments: tuple[AttachmentView, ...] = field(default=())
