"""Queries, one function each; callers pass the session of their transaction."""

import hashlib
from collections.abc import Collection
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.selectable import GenerativeSelect
from sqlmodel import Session, SQLModel, col, select

from bot.lifecycle import Status
from bot.vocabulary import Actor, Author, Platform
from storage.models import (
    Attachment,
    AuditEntry,
    FormerThread,
    InboundEvent,
    Message,
    MessageLink,
    Rating,
    Shop,
    SyncState,
    ThreadLink,
    Ticket,
)

Query = TypeVar("Query", bound=GenerativeSelect)


def row_id(row: Any) -> int:
    """The id of a row that has been flushed (every row the core holds past its insert)."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id yet: flush it first")
    return int(row.id)


def flushed_id(session: Session, row: Any) -> int:
    """The row's id, flushing first if the row is still pending."""
    if row.id is None:
        session.flush()
    return row_id(row)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def upsert(session: Session, table: Any) -> postgresql.Insert | sqlite.Insert:
    """An INSERT into `table` that can say `ON CONFLICT` (in the session's dialect)."""
    return postgresql.insert(table) if _is_postgres(session) else sqlite.insert(table)


def skip_locked(session: Session, query: Query) -> Query:
    """The query locking the rows it reads, passing over those another worker has locked, so
    workers never wait on each other; only on PostgreSQL (SQLite has no row locks: one writer)."""
    return query.with_for_update(skip_locked=True) if _is_postgres(session) else query


def lock_ticket(session: Session, ticket_id: int) -> None:
    """Make the transaction the ticket's writer before it reads what it then writes: a second
    one waits here and then reads the first one's commit. An UPDATE that changes nothing locks
    the row on PostgreSQL and takes the write lock on SQLite, where FOR UPDATE does nothing."""
    session.execute(
        update(Ticket)
        .where(col(Ticket.id) == ticket_id)
        .values(id=Ticket.id)
        .execution_options(synchronize_session=False)
    )


def inserted_key(session: Session, row: SQLModel) -> Any | None:
    """Insert the row unless a unique constraint says it exists: its primary key then, else
    None (nothing written).

    `ON CONFLICT DO NOTHING` rather than a savepoint: no extra round trips, and on SQLite a
    savepoint opening the transaction would commit on its own release, breaking the promise
    that a claim commits together with its effects."""
    table: Any = getattr(type(row), "__table__")  # noqa: B009 (sqlmodel does not declare it)
    values = {
        column.name: getattr(row, column.name)
        for column in table.columns
        if not (column.primary_key and getattr(row, column.name) is None)
    }
    key = next(iter(table.primary_key.columns))
    statement = upsert(session, table).values(**values).on_conflict_do_nothing().returning(key)
    # RETURNING rather than rowcount, which psycopg reports as -1 here.
    return session.exec(statement).scalar()


def insert_unless_duplicate(session: Session, row: SQLModel) -> bool:
    """Insert the row unless a unique constraint says it exists: False then (`inserted_key`)."""
    return inserted_key(session, row) is not None


def shop_by_token(session: Session, token: str) -> Shop | None:
    return session.exec(
        select(Shop).where(Shop.token_hash == hash_token(token), col(Shop.active))
    ).one_or_none()


def shop_ticket(session: Session, shop_id: int, ticket_id: int) -> Ticket | None:
    """The ticket only if it belongs to the shop: other shops' tickets look like missing ones."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None or ticket.shop_id != shop_id or ticket.status == Status.PURGED:
        return None
    return ticket


def shop_tickets(
    session: Session,
    shop_id: int,
    *,
    limit: int = 50,
    after: tuple[datetime, int] | None = None,
    status: Status | None = None,
    updated_since: datetime | None = None,
) -> list[Ticket]:
    """The shop's tickets, latest activity first, strictly after the cursor `(activity, id)`."""
    query = select(Ticket).where(Ticket.shop_id == shop_id, Ticket.status != Status.PURGED)
    if after is not None:
        activity, ticket_id = after
        query = query.where(
            (col(Ticket.last_activity_at) < activity)
            | ((col(Ticket.last_activity_at) == activity) & (col(Ticket.id) < ticket_id))
        )
    if status is not None:
        query = query.where(Ticket.status == status)
    if updated_since is not None:
        query = query.where(col(Ticket.updated_at) >= updated_since)
    order = (col(Ticket.last_activity_at).desc(), col(Ticket.id).desc())
    return list(session.exec(query.order_by(*order).limit(limit)))


def unread_count(session: Session, shop_id: int) -> int:
    query = select(func.count()).where(Ticket.shop_id == shop_id, col(Ticket.unread))
    return int(session.exec(query).one())


def ticket_rating(session: Session, ticket_id: int) -> Rating | None:
    return session.exec(select(Rating).where(Rating.ticket_id == ticket_id)).one_or_none()


def ticket_messages(session: Session, ticket_id: int, *, include_notes: bool) -> list[Message]:
    query = select(Message).where(Message.ticket_id == ticket_id)
    if not include_notes:
        query = query.where(Message.author != Author.NOTE, col(Message.deleted_at).is_(None))
    return list(session.exec(query.order_by(col(Message.id))))


def message_attachments(session: Session, message_ids: Collection[int]) -> list[Attachment]:
    if not message_ids:
        return []
    query = (
        select(Attachment)
        .where(col(Attachment.message_id).in_(message_ids))
        .order_by(col(Attachment.id))
    )
    return list(session.exec(query))


def delete_message_files(session: Session, message_id: int) -> set[str]:
    """Delete the message's attachment rows; returns their storage keys, for the caller to
    delete after commit those nothing else uses (`jobs.storage_key_in_use`)."""
    rows = message_attachments(session, [message_id])
    for row in rows:
        session.delete(row)
    return {row.storage_key for row in rows}


def open_tickets_in_channel(
    session: Session, platform: Platform, channel: str, *, limit: int
) -> list[Ticket]:
    """Tickets with a thread in the channel that support still holds, oldest first."""
    query = (
        select(Ticket)
        .join(ThreadLink, col(ThreadLink.ticket_id) == col(Ticket.id))
        .where(
            ThreadLink.platform == platform,
            ThreadLink.channel == channel,
            col(Ticket.status).in_((Status.OPEN, Status.WAITING, Status.QUEUED)),
        )
        .order_by(col(Ticket.id))
        .limit(limit)
    )
    return list(session.exec(query))


def ticket_audit(session: Session, ticket_id: int) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.ticket_id == ticket_id)
    return list(session.exec(query.order_by(col(AuditEntry.id))))


def thread_by_ref(
    session: Session, platform: Platform, channel: str, thread_id: str
) -> ThreadLink | None:
    query = select(ThreadLink).where(
        ThreadLink.platform == platform,
        ThreadLink.channel == channel,
        ThreadLink.thread_id == thread_id,
    )
    return session.exec(query).one_or_none()


def thread_for_ticket(session: Session, ticket_id: int) -> ThreadLink | None:
    query = select(ThreadLink).where(ThreadLink.ticket_id == ticket_id).order_by(col(ThreadLink.id))
    return session.exec(query).first()


def thread_on(session: Session, ticket_id: int, platform: Platform) -> ThreadLink | None:
    query = select(ThreadLink).where(
        ThreadLink.ticket_id == ticket_id, ThreadLink.platform == platform
    )
    return session.exec(query).one_or_none()


def retire_thread(session: Session, link: ThreadLink, *, department: str, now: datetime) -> None:
    """The ticket leaves the thread (moved to another department): kept as a former thread."""
    session.add(
        FormerThread(
            ticket_id=link.ticket_id,
            platform=link.platform,
            channel=link.channel,
            thread_id=link.thread_id,
            department=department,
            moved_at=now,
        )
    )
    session.delete(link)


def former_thread(
    session: Session, platform: Platform, channel: str, thread_id: str
) -> FormerThread | None:
    query = select(FormerThread).where(
        FormerThread.platform == platform,
        FormerThread.channel == channel,
        FormerThread.thread_id == thread_id,
    )
    return session.exec(query).one_or_none()


def tickets_with_threads(session: Session, ticket_ids: Collection[int]) -> set[int]:
    """Which of the tickets have a thread in the agents' chat."""
    if not ticket_ids:
        return set()
    query = select(ThreadLink.ticket_id).where(col(ThreadLink.ticket_id).in_(ticket_ids))
    return set(session.exec(query))


def message_by_external(session: Session, platform: Platform, external_id: str) -> Message | None:
    query = (
        select(Message)
        .join(MessageLink, col(MessageLink.message_id) == col(Message.id))
        .where(MessageLink.platform == platform, MessageLink.external_id == external_id)
    )
    return session.exec(query).one_or_none()


def claim_inbound(session: Session, platform: Platform, event_id: str, now: datetime) -> bool:
    """Record the event id; False if some transaction already did (a retry or a replay).

    The insert is the claim: the unique constraint makes it atomic across instances, and it
    commits together with the event's effects, so a crash mid-way leaves the event unclaimed.
    """
    row = InboundEvent(platform=platform, event_id=event_id, received_at=now)
    return insert_unless_duplicate(session, row)


def audit(
    session: Session,
    *,
    actor: Actor,
    action: str,
    now: datetime,
    ticket_id: int | None = None,
    **detail: object,
) -> None:
    session.add(
        AuditEntry(ticket_id=ticket_id, actor=actor, action=action, detail=detail, created_at=now)
    )


def get_sync_state(session: Session, key: str) -> str | None:
    row = session.get(SyncState, key)
    return row.value if row else None


def set_sync_state(session: Session, key: str, value: str, now: datetime) -> None:
    row = session.get(SyncState, key)
    if row is None:
        session.add(SyncState(key=key, value=value, updated_at=now))
    else:
        row.value = value
        row.updated_at = now


def due_tickets(session: Session, *, now: datetime, limit: int) -> list[Ticket]:
    query = (
        select(Ticket)
        .where(col(Ticket.status).in_((Status.SUGGESTED, Status.QUEUED)), col(Ticket.due_at) <= now)
        .order_by(col(Ticket.created_at), col(Ticket.id))
        .limit(limit)
    )
    return list(session.exec(query))


def count_by(session: Session, column: Any) -> dict[str, int]:
    """Rows per value of `column`, e.g. `count_by(session, Ticket.status)`."""
    rows = session.exec(select(column, func.count()).group_by(column))
    return {str(value): int(count) for value, count in rows}
