"""JSON shapes of the panel API (published in /openapi.json)."""

from datetime import datetime

from pydantic import BaseModel

from bot import texts
from bot.service import Conversation
from storage.models import Attachment, Message, Ticket


class AttachmentOut(BaseModel):
    id: int
    filename: str
    content_type: str
    size: int
    url: str


class MessageOut(BaseModel):
    id: int
    author: str
    author_name: str
    body: str
    created_at: datetime
    edited_at: datetime | None
    kind: str | None = None
    suggestions: list[dict] = []
    attachments: list[AttachmentOut] = []


class TicketOut(BaseModel):
    id: int
    title: str
    status: str
    status_label: str
    priority: str
    department: str
    department_label: str
    unread: bool
    order_url: str | None
    created_at: datetime
    last_activity_at: datetime
    resolved_at: datetime | None


class TicketDetail(TicketOut):
    body: str
    messages: list[MessageOut]


class TicketList(BaseModel):
    tickets: list[TicketOut]
    unread: int


class UnreadOut(BaseModel):
    unread: int


class FeedbackIn(BaseModel):
    helped: bool


class ErrorItem(BaseModel):
    field: str
    message: str


class ErrorOut(BaseModel):
    detail: str
    errors: list[ErrorItem] = []


def ticket_out(ticket: Ticket) -> TicketOut:
    return TicketOut(
        id=ticket.id,
        title=ticket.title,
        status=ticket.status,
        status_label=texts.STATUS_LABELS.get(ticket.status, ticket.status),
        priority=ticket.priority,
        department=ticket.department,
        department_label=texts.DEPARTMENT_LABELS.get(ticket.department, ticket.department),
        unread=ticket.unread,
        order_url=ticket.order_url,
        created_at=ticket.created_at,
        last_activity_at=ticket.last_activity_at,
        resolved_at=ticket.resolved_at,
    )


def message_out(message: Message, attachments: list[Attachment]) -> MessageOut:
    return MessageOut(
        id=message.id,
        author=message.author,
        author_name=message.author_name,
        body=message.body,
        created_at=message.created_at,
        edited_at=message.edited_at,
        kind=message.extra.get("kind"),
        suggestions=message.extra.get("suggestions", []),
        attachments=[
            AttachmentOut(
                id=a.id,
                filename=a.filename,
                content_type=a.content_type,
                size=a.size,
                url=f"/api/v1/tickets/{message.ticket_id}/attachments/{a.id}",
            )
            for a in attachments
        ],
    )


def detail_out(conversation: Conversation) -> TicketDetail:
    by_message: dict[int, list[Attachment]] = {}
    for item in conversation.attachments:
        by_message.setdefault(item.message_id, []).append(item)
    ticket = conversation.ticket
    return TicketDetail(
        **ticket_out(ticket).model_dump(),
        body=ticket.body,
        messages=[message_out(m, by_message.get(m.id, [])) for m in conversation.messages],
    )
