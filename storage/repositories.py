"""Queries, one function each; callers pass the session of their transaction."""

import hashlib
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased
from sqlmodel import Session, SQLModel, col, select

from bot.lifecycle import Status
from bot.vocabulary import Actor, Author, Operation, OutboxState, Platform
from storage.db import note_outbox_write
from storage.models import (
    Attachment,
    AuditEntry,
    InboundEvent,
    Message,
    MessageLink,
    OutboxItem,
    Shop,
    SyncState,
    ThreadLink,
    Ticket,
)


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


def insert_unless_duplicate(session: Session, row: SQLModel) -> bool:
    """Insert the row unless a unique constraint says it exists: False then, nothing written.

    `ON CONFLICT DO NOTHING` rather than a savepoint: no extra round trips, and on SQLite a
    savepoint opening the transaction would commit on its own release, breaking the promise
    that a claim commits together with its effects."""
    table: Any = getattr(type(row), "__table__")  # noqa: B009 (sqlmodel does not declare it)
    values = {
        column.name: getattr(row, column.name)
        for column in table.columns
        if not (column.primary_key and getattr(row, column.name) is None)
    }
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    key = next(iter(table.primary_key.columns))
    statement = dialect.insert(table).values(**values).on_conflict_do_nothing().returning(key)
    # RETURNING rather than rowcount, which psycopg reports as -1 here.
    return session.exec(statement).first() is not None


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
    session: Session, shop_id: int, *, limit: int = 50, offset: int = 0
) -> list[Ticket]:
    query = (
        select(Ticket)
        .where(Ticket.shop_id == shop_id, Ticket.status != Status.PURGED)
        .order_by(col(Ticket.last_activity_at).desc(), col(Ticket.id).desc())
        .limit(limit)
        .offset(offset)
    )
    return list(session.exec(query))


def unread_count(session: Session, shop_id: int) -> int:
    query = select(func.count()).where(Ticket.shop_id == shop_id, col(Ticket.unread))
    return int(session.exec(query).one())


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


def thread_by_ref(
    session: Session, platform: Platform, channel: str, thread_id: str
) -> ThreadLink | None:
    query = select(ThreadLink).where(
        ThreadLink.platform == platform,
        ThreadLink.channel == channel,
        ThreadLink.thread_id == thread_id,
    )
    return session.exec(query).one_or_none()


def thread_opening(session: Session, platform: Platform, channel: str, now: datetime) -> bool:
    """Whether a worker is opening a thread in the channel right now (leased, not yet done)."""
    query = select(OutboxItem.id).where(
        OutboxItem.operation == Operation.OPEN_THREAD,
        OutboxItem.state == OutboxState.PENDING,
        OutboxItem.platform == platform,
        OutboxItem.channel == channel,
        col(OutboxItem.claimed_until) > now,
    )
    return session.exec(query.limit(1)).first() is not None


def thread_for_ticket(session: Session, ticket_id: int) -> ThreadLink | None:
    query = select(ThreadLink).where(ThreadLink.ticket_id == ticket_id).order_by(col(ThreadLink.id))
    return session.exec(query).first()


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


def enqueue_once(session: Session, item: OutboxItem) -> bool:
    """Add an outbox item unless one with its key exists (a digest per day, an alert per
    breach); False when it was already there."""
    added = insert_unless_duplicate(session, item)
    if added:
        note_outbox_write(session, item.channel)
    return added


def enqueue(session: Session, item: OutboxItem) -> None:
    """Add an outbox item. Keys are derived from new row ids or random, so a clash is a bug
    and fails the whole transaction rather than silently dropping a delivery."""
    session.add(item)
    note_outbox_write(session, item.channel)


def claim_outbox(
    session: Session,
    *,
    worker: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    skip_channels: Collection[str] = (),
) -> list[OutboxItem]:
    """Lease up to `limit` due items, at most the oldest pending one per ticket, none in
    `skip_channels`.

    Only the head of each ticket's queue is eligible, so messages reach a thread in order even
    with several workers; `SKIP LOCKED` keeps workers from blocking on each other's rows.
    """
    earlier = aliased(OutboxItem)
    head_of_ticket = ~exists().where(
        and_(
            col(earlier.ticket_id) == col(OutboxItem.ticket_id),
            col(earlier.state) == OutboxState.PENDING,
            col(earlier.id) < col(OutboxItem.id),
        )
    )
    claimed_until = col(OutboxItem.claimed_until)
    due = (
        select(OutboxItem.id)
        .where(
            OutboxItem.state == OutboxState.PENDING,
            col(OutboxItem.next_attempt_at) <= now,
            claimed_until.is_(None) | (claimed_until < now),
            col(OutboxItem.ticket_id).is_(None) | head_of_ticket,
        )
        .order_by(col(OutboxItem.id))
        .limit(limit)
    )
    if skip_channels:
        due = due.where(col(OutboxItem.channel).not_in(skip_channels))
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids = list(session.exec(due))
    if not ids:
        return []
    session.exec(
        update(OutboxItem)
        .where(col(OutboxItem.id).in_(ids))
        .values(claimed_by=worker, claimed_until=now + lease, attempts=col(OutboxItem.attempts) + 1)
    )
    rows = session.exec(
        select(OutboxItem).where(col(OutboxItem.id).in_(ids)).order_by(col(OutboxItem.id))
    )
    return list(rows)


def due_tickets(session: Session, *, now: datetime, limit: int) -> list[Ticket]:
    query = (
        select(Ticket)
        .where(col(Ticket.status).in_((Status.SUGGESTED, Status.QUEUED)), col(Ticket.due_at) <= now)
        .order_by(col(Ticket.created_at), col(Ticket.id))
        .limit(limit)
    )
    return list(session.exec(query))


def release_leases(session: Session, *, worker: str) -> int:
    """Free the pending items leased by `worker`; returns how many."""
    result = session.exec(
        update(OutboxItem)
        .where(col(OutboxItem.claimed_by) == worker, col(OutboxItem.state) == OutboxState.PENDING)
        .values(claimed_by=None, claimed_until=None)
    )
    return int(result.rowcount)


def has_later_pending(session: Session, item: OutboxItem) -> bool:
    query = select(OutboxItem.id).where(
        OutboxItem.ticket_id == item.ticket_id,
        OutboxItem.operation == item.operation,
        OutboxItem.state == OutboxState.PENDING,
        col(OutboxItem.id) > item.id,
    )
    return session.exec(query.limit(1)).first() is not None


def tickets_created_since(session: Session, shop_id: int, since: datetime, *, cap: int) -> int:
    """How many tickets the shop opened since `since`, counting no further than `cap`: the
    rate check asks "at the limit yet?", and a busy shop must not make it slower."""
    recent = (
        select(Ticket.id)
        .where(Ticket.shop_id == shop_id, col(Ticket.created_at) >= since)
        .limit(cap)
        .subquery()
    )
    return int(session.exec(select(func.count()).select_from(recent)).one())


def count_by(session: Session, column: Any) -> dict[str, int]:
    """Rows per value of `column`, e.g. `count_by(session, Ticket.status)`."""
    rows = session.exec(select(column, func.count()).group_by(column))
    return {str(value): int(count) for value, count in rows}
