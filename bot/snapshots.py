"""Build the read-only views adapters render, from rows in the caller's transaction."""

from sqlmodel import Session

from bot.ticketing import Context
from bot.views import AttachmentView, MessageView, Suggestion, TicketView
from storage import repositories as repo
from storage.models import Attachment, Message, Shop, Ticket


def attachment_views(rows: list[Attachment], ctx: Context) -> tuple[AttachmentView, ...]:
    return tuple(
        AttachmentView(
            id=row.id,
            filename=row.filename,
            content_type=row.content_type,
            size=row.size,
            path=ctx.files.path(row.storage_key),
        )
        for row in rows
    )


def oncall_mention(ticket: Ticket, platform: str, ctx: Context) -> str | None:
    """Page on-call for a critical ticket that arrives outside support hours."""
    if ticket.priority != "critical" or ctx.hours.is_open(ticket.escalated_at or ticket.created_at):
        return None
    mention = {"slack": ctx.config.slack.oncall, "matrix": ctx.config.matrix.oncall}.get(platform)
    return mention or None


def ticket_view(session: Session, ticket: Ticket, ctx: Context, *, platform: str) -> TicketView:
    shop = session.get(Shop, ticket.shop_id)
    messages = repo.ticket_messages(session, ticket.id, include_notes=False)
    first = messages[0].id if messages else None
    files = repo.message_attachments(session, [first]) if first is not None else []
    return TicketView(
        id=ticket.id,
        shop_name=shop.name if shop else "?",
        title=ticket.title,
        body=ticket.body,
        status=ticket.status,
        priority=ticket.priority,
        department=ticket.department,
        assignee=ticket.assignee,
        order_url=ticket.order_url,
        created_at=ticket.created_at,
        panel_url=f"{ctx.config.server.public_url.rstrip('/')}/panel/tickets/{ticket.id}",
        suggestions=tuple(Suggestion(**s) for s in ticket.triage.get("suggestions", [])),
        signals=tuple(ticket.triage.get("signals", [])),
        attachments=attachment_views(files, ctx),
        mention=oncall_mention(ticket, platform, ctx),
    )


def message_view(session: Session, message: Message, ctx: Context) -> MessageView:
    return MessageView(
        id=message.id,
        ticket_id=message.ticket_id,
        author=message.author,
        author_name=message.author_name,
        body=message.body,
        attachments=attachment_views(repo.message_attachments(session, [message.id]), ctx),
    )
