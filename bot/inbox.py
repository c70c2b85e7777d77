"""The shop panel's read side: ticket list, unread count, conversation, read marks, files."""

# One home for what a shop may read, used by both the JSON API and the web inbox. Every query is
# scoped to the shop: another shop's ticket looks exactly like a missing one.

from collections.abc import Hashable, Iterable
from datetime import datetime

from sqlalchemy import and_
from sqlmodel import Session, col, func, select

from bot.context import Context
from bot.errors import NotFound
from bot.lifecycle import Status
from bot.views import (
    Conversation,
    ShopAttachment,
    ShopMessage,
    ShopRating,
    ShopTicket,
    ShopTickets,
    StoredFile,
)
from bot.vocabulary import AttachmentId, Author, MessageId, ShopId, TicketId
from storage import repositories as repo
from storage.models import Attachment, Message, Rating, Ticket


# What of a conversation the shop may see: no agents' notes (a reply withdrawn into a note among
# them) and nothing deleted. One rule, for rows in hand and (below) for queries.
def visible_to_shop(message: Message) -> bool:
    return message.author != Author.NOTE and message.deleted_at is None


VISIBLE_TO_SHOP = and_(col(Message.author) != Author.NOTE, col(Message.deleted_at).is_(None))


def own_ticket(session: Session, shop_id: int, ticket_id: int) -> Ticket:
    """The shop's ticket, or NotFound (also for another shop's: it looks like a missing one)."""
    ticket = repo.shop_ticket(session, shop_id, ticket_id)
    if ticket is None:
        raise NotFound(f"ticket {ticket_id}")
    return ticket


def files_by_message(rows: Iterable[Attachment]) -> dict[int | None, list[Attachment]]:
    """The attachments grouped by the message they belong to, each group in the rows' order."""
    grouped: dict[int | None, list[Attachment]] = {}
    for item in rows:
        grouped.setdefault(item.message_id, []).append(item)
    return grouped


def shop_ticket(row: Ticket, *, in_chat: bool = False) -> ShopTicket:
    return ShopTicket(
        in_chat=in_chat,
        id=TicketId(repo.row_id(row)),
        shop_id=ShopId(row.shop_id),
        title=row.title,
        status=row.status,
        priority=row.priority,
        department=row.department,
        unread=row.unread,
        order_url=row.order_url,
        created_at=row.created_at,
        last_activity_at=row.last_activity_at,
        resolved_at=row.resolved_at,
    )


def shop_message(row: Message, files: Iterable[Attachment]) -> ShopMessage:
    return ShopMessage(
        id=MessageId(repo.row_id(row)),
        ticket_id=TicketId(row.ticket_id),
        author=row.author,
        author_name=row.author_name,
        body=row.body,
        created_at=row.created_at,
        edited_at=row.edited_at,
        kind=row.extra.get("kind"),
        body_html=row.body_html,
        suggestions=tuple(row.extra.get("suggestions", ())),
        attachments=tuple(
            ShopAttachment(
                id=AttachmentId(repo.row_id(item)),
                ticket_id=TicketId(item.ticket_id),
                filename=item.filename,
                content_type=item.content_type,
                size=item.size,
            )
            for item in files
        ),
    )


def shop_rating(row: Rating) -> ShopRating:
    return ShopRating(
        score=row.score, comment=row.comment, created_at=row.created_at, updated_at=row.updated_at
    )


def conversation(
    ticket: Ticket,
    messages: Iterable[Message],
    files: Iterable[Attachment],
    *,
    in_chat: bool = False,
    rating: Rating | None = None,
) -> Conversation:
    """The shop's view of `ticket`, from rows of the caller's transaction."""
    by_message = files_by_message(files)
    return Conversation(
        ticket=shop_ticket(ticket, in_chat=in_chat),
        body=ticket.body,
        messages=tuple(shop_message(m, by_message.get(m.id, ())) for m in messages),
        rating=shop_rating(rating) if rating is not None else None,
    )


class Inbox:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def tickets(
        self,
        shop_id: int,
        *,
        limit: int = 50,
        after: tuple[datetime, int] | None = None,
        status: Status | None = None,
        updated_since: datetime | None = None,
    ) -> ShopTickets:
        """The shop's tickets, latest activity first (after the cursor `after`, filtered), and
        its unread count."""
        with self.ctx.db.transaction() as session:
            rows = repo.shop_tickets(
                session,
                shop_id,
                limit=limit,
                after=after,
                status=status,
                updated_since=updated_since,
            )
            unread = repo.unread_count(session, shop_id)
            in_chat = repo.tickets_with_threads(session, [repo.row_id(row) for row in rows])
        return ShopTickets(
            tickets=tuple(shop_ticket(row, in_chat=row.id in in_chat) for row in rows),
            unread=unread,
        )

    def unread(self, shop_id: int) -> int:
        """The number behind the "!" beside POMOC."""
        with self.ctx.db.transaction() as session:
            return repo.unread_count(session, shop_id)

    def conversation(self, shop_id: int, ticket_id: int) -> Conversation:
        with self.ctx.db.transaction() as session:
            ticket = own_ticket(session, shop_id, ticket_id)
            messages = repo.ticket_messages(session, repo.row_id(ticket), include_notes=False)
            files = repo.message_attachments(session, [repo.row_id(m) for m in messages])
            in_chat = repo.thread_for_ticket(session, repo.row_id(ticket)) is not None
            rating = repo.ticket_rating(session, repo.row_id(ticket))
            return conversation(ticket, messages, files, in_chat=in_chat, rating=rating)

    def mark_read(self, shop_id: int, ticket_id: int) -> int:
        """The owner opened the ticket: it stops being orange. Returns the unread count left."""
        with self.ctx.db.transaction() as session:
            ticket = own_ticket(session, shop_id, ticket_id)
            if ticket.unread:
                ticket.unread = False
                session.add(ticket)
                session.flush()
            return repo.unread_count(session, shop_id)

    def attachment(self, shop_id: int, ticket_id: int, attachment_id: int) -> StoredFile:
        with self.ctx.db.transaction() as session:
            ticket = repo.shop_ticket(session, shop_id, ticket_id)
            item = session.get(Attachment, attachment_id)
            if ticket is None or item is None or item.ticket_id != ticket.id:
                raise NotFound(f"attachment {attachment_id}")
            # A note's files (a reply withdrawn into a note among them) are the agents' alone.
            message = session.get(Message, item.message_id) if item.message_id else None
            if message is not None and not visible_to_shop(message):
                raise NotFound(f"attachment {attachment_id}")
            return StoredFile(
                filename=item.filename,
                content_type=item.content_type,
                path=self.ctx.files.path(item.storage_key),
            )

    # -- versions for live updates: change whenever what the shop would see changes ------------

    def shop_version(self, shop_id: int) -> Hashable:
        with self.ctx.db.transaction() as session:
            tickets = session.exec(
                select(
                    func.count(), func.max(Ticket.updated_at), func.max(Ticket.last_activity_at)
                ).where(Ticket.shop_id == shop_id, Ticket.status != Status.PURGED)
            ).one()
            latest = session.exec(
                select(func.max(Message.id)).join(Ticket).where(Ticket.shop_id == shop_id)
            ).one()
            return (*tickets, latest, repo.unread_count(session, shop_id))

    def ticket_version(self, shop_id: int, ticket_id: int) -> Hashable | None:
        """None when the shop has no such ticket (any more)."""
        with self.ctx.db.transaction() as session:
            ticket = repo.shop_ticket(session, shop_id, ticket_id)
            if ticket is None:
                return None
            messages = session.exec(
                select(func.count(), func.max(Message.id), func.max(Message.edited_at)).where(
                    Message.ticket_id == ticket_id, VISIBLE_TO_SHOP
                )
            ).one()
            unread = repo.unread_count(session, shop_id)
            rating = repo.ticket_rating(session, ticket_id)
            given = (rating.score, rating.comment) if rating is not None else None
            return (ticket.status, ticket.unread, ticket.updated_at, *messages, unread, given)
