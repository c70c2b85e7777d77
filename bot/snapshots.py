"""Build the read-only views adapters render, from rows in the caller's transaction."""

from collections.abc import Iterable

from sqlmodel import Session

from bot.context import Context
from bot.views import AttachmentView, MessageView, Suggestion, TicketView
from bot.vocabulary import AttachmentId, MessageId, Platform, Priority, TicketId
from storage import repositories as repo
from storage.models import Attachment, Message, Shop, Ticket


def attachment_views(rows: Iterable[Attachment], ctx: Context) -> tuple[AttachmentView, ...]:
    return tuple(
        AttachmentView(
            id=AttachmentId(repo.row_id(row)),
            filename=row.filename,
            content_type=row.content_type,
            size=row.size,
            path=ctx.files.path(row.storage_key),
        )
        for row in rows
    )


def oncall_mention(ticket: Ticket, platform: Platform, ctx: Context) -> str | None:
    """Page on-call for a critical ticket that arrives outside support hours."""
    if ticket.priority != Priority.CRITICAL or ctx.hours.is_open(
        ticket.escalated_at or ticket.created_at
    ):
        return None
    mentions = {Platform.SLACK: ctx.config.slack.oncall, Platform.MATRIX: ctx.config.matrix.oncall}
    return mentions[platform] or None


def ticket_view(
    session: Session, ticket: Ticket, ctx: Context, *, platform: Platform
) -> TicketView:
    ticket_id = repo.row_id(ticket)
    shop = session.get(Shop, ticket.shop_id)
    messages = repo.ticket_messages(session, ticket_id, include_notes=False)
    first = messages[0].id if messages else None
    files = repo.message_attachments(session, [first]) if first is not None else []
    return TicketView(
        id=TicketId(ticket_id),
        shop_name=shop.name if shop else "?",
        title=ticket.title,
        body=ticket.body,
        status=ticket.status,
        priority=ticket.priority,
        department=ticket.department,
        assignee=ticket.assignee,
        order_url=ticket.order_url,
        created_at=ticket.created_at,
        panel_url=f"{ctx.public_url}/panel/tickets/{ticket_id}",
        suggestions=tuple(Suggestion(**s) for s in ticket.triage.get("suggestions", [])),
        signals=tuple(ticket.triage.get("signals", [])),
        attachments=attachment_views(files, ctx),
        mention=oncall_mention(ticket, platform, ctx),
    )


def message_view(session: Session, message: Message, ctx: Context) -> MessageView:
    message_id = repo.row_id(message)
    return MessageView(
        id=MessageId(message_id),
        ticket_id=TicketId(message.ticket_id),
        author=message.author,
        author_name=message.author_name,
        body=message.body,
        attachments=attachment_views(repo.message_attachments(session, [message_id]), ctx),
    )
