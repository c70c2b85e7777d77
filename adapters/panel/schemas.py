"""JSON shapes of the panel API (published in /openapi.json)."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from bot import texts
from bot.views import Conversation, ShopMessage, ShopTicket, ShopTickets


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
    suggestions: list[dict[str, Any]] = []
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


def ticket_out(ticket: ShopTicket) -> TicketOut:
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


def message_out(message: ShopMessage) -> MessageOut:
    return MessageOut(
        id=message.id,
        author=message.author,
        author_name=message.author_name,
        body=message.body,
        created_at=message.created_at,
        edited_at=message.edited_at,
        kind=message.kind,
        suggestions=list(message.suggestions),
        attachments=[
            AttachmentOut(
                id=a.id,
                filename=a.filename,
                content_type=a.content_type,
                size=a.size,
                url=f"/api/v1/tickets/{a.ticket_id}/attachments/{a.id}",
            )
            for a in message.attachments
        ],
    )


def detail_out(conversation: Conversation) -> TicketDetail:
    return TicketDetail(
        **ticket_out(conversation.ticket).model_dump(),
        body=conversation.body,
        messages=[message_out(m) for m in conversation.messages],
    )


def list_out(listed: ShopTickets) -> TicketList:
    return TicketList(tickets=[ticket_out(t) for t in listed.tickets], unread=listed.unread)
