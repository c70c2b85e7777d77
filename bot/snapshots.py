"""Build the read-only views adapters render, from rows in the caller's transaction."""

from collections.abc import Iterable, Sequence

from sqlmodel import Session

from bot.context import Context
from bot.inbox import files_by_message, visible_to_shop
from bot.lifecycle import Status
from bot.views import (
    AgentMessage,
    AgentTicket,
    AttachmentView,
    AuditLine,
    MessageView,
    Suggestion,
    TicketView,
)
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


def agent_page_url(ticket: Ticket, ctx: Context) -> str:
    """The signed link to the ticket's read-only page for agents (valid for a window)."""
    return ctx.agent_links.ticket_url(
        repo.row_id(ticket), created_at=ticket.created_at, now=ctx.clock.now()
    )


def _opening_files(session: Session, ticket_id: int) -> list[Attachment]:
    """The files of the ticket's first message the shop sees: what it opened the ticket with."""
    messages = repo.ticket_messages(session, ticket_id, include_notes=False)
    return repo.message_attachments(session, [repo.row_id(messages[0])]) if messages else []


def ticket_view(
    session: Session,
    ticket: Ticket,
    ctx: Context,
    *,
    platform: Platform,
    notice: str | None = None,
    opening_files: Sequence[Attachment] | None = None,
    left: bool = False,
) -> TicketView:
    """`opening_files`: those of the first message the shop sees, when the caller has them."""
    ticket_id = repo.row_id(ticket)
    shop = session.get(Shop, ticket.shop_id)
    files = _opening_files(session, ticket_id) if opening_files is None else opening_files
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
        page_url=agent_page_url(ticket, ctx),
        suggestions=tuple(Suggestion(**s) for s in ticket.triage.get("suggestions", [])),
        signals=tuple(ticket.triage.get("signals", [])),
        attachments=attachment_views(files, ctx),
        mention=oncall_mention(ticket, platform, ctx),
        notice=notice,
        left=left,
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
        html=message.body_html,
        kind=message.extra.get("kind"),
        by=message.extra.get("by"),
    )


def agent_ticket(ctx: Context, ticket_id: int) -> AgentTicket | None:
    """The agents' read-only page of a ticket (None when it is gone)."""
    with ctx.db.transaction() as session:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None or ticket.status == Status.PURGED:
            return None
        rows = repo.ticket_messages(session, ticket_id, include_notes=True)
        files = files_by_message(repo.message_attachments(session, [repo.row_id(m) for m in rows]))
        messages = tuple(
            AgentMessage(
                author=row.author,
                author_name=row.author_name,
                body=row.body,
                body_html=row.body_html,
                created_at=row.created_at,
                edited_at=row.edited_at,
                deleted_at=row.deleted_at,
                kind=row.extra.get("kind"),
                attachments=attachment_views(files.get(row.id, ()), ctx),
            )
            for row in rows
        )
        audit = tuple(
            AuditLine(entry.created_at, str(entry.actor), entry.action, dict(entry.detail))
            for entry in repo.ticket_audit(session, ticket_id)
        )
        first = next((row for row in rows if visible_to_shop(row)), None)
        opening = files.get(first.id, []) if first is not None else []
        view = ticket_view(session, ticket, ctx, platform=Platform.SLACK, opening_files=opening)
        return AgentTicket(ticket=view, messages=messages, audit=audit)


def agent_attachment(ctx: Context, ticket_id: int, attachment_id: int) -> AttachmentView | None:
    """A file of the ticket, for its agents' page (None when it is not this ticket's)."""
    with ctx.db.transaction() as session:
        row = session.get(Attachment, attachment_id)
        if row is None or row.ticket_id != ticket_id:
            return None
        return attachment_views([row], ctx)[0]
