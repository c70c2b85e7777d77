"""Queries, one function each; callers pass the session of their transaction."""

import hashlib
from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, exists, func, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased
from sqlmodel import Session, SQLModel, select

from storage.db import note_outbox_write
from storage.models import (
    Attachment,
    AuditEntry,
    InboundEvent,
    Message,
    MessageLink,
    OutboxItem,
    Shop,
    SlaAlert,
    SyncState,
    ThreadLink,
    Ticket,
)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def insert_unless_duplicate(session: Session, row: SQLModel) -> bool:
    """Insert the row unless a unique constraint says it exists: False then, nothing written.

    `ON CONFLICT DO NOTHING` rather than a savepoint: no extra round trips, and on SQLite a
    savepoint opening the transaction would commit on its own release, breaking the promise
    that a claim commits together with its effects."""
    table = type(row).__table__
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
        select(Shop).where(Shop.token_hash == hash_token(token), Shop.active)
    ).one_or_none()


def shop_ticket(session: Session, shop_id: int, ticket_id: int) -> Ticket | None:
    """The ticket only if it belongs to the shop: other shops' tickets look like missing ones."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None or ticket.shop_id != shop_id or ticket.status == "purged":
        return None
    return ticket


def shop_tickets(
    session: Session, shop_id: int, *, limit: int = 50, offset: int = 0
) -> list[Ticket]:
    query = (
        select(Ticket)
        .where(Ticket.shop_id == shop_id, Ticket.status != "purged")
        .order_by(Ticket.last_activity_at.desc(), Ticket.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(session.exec(query))


def unread_count(session: Session, shop_id: int) -> int:
    query = select(func.count()).where(Ticket.shop_id == shop_id, Ticket.unread)
    return int(session.exec(query).one())


def ticket_messages(session: Session, ticket_id: int, *, include_notes: bool) -> list[Message]:
    query = select(Message).where(Message.ticket_id == ticket_id)
    if not include_notes:
        query = query.where(Message.author != "note", Message.deleted_at.is_(None))
    return list(session.exec(query.order_by(Message.id)))


def message_attachments(session: Session, message_ids: list[int]) -> list[Attachment]:
    if not message_ids:
        return []
    query = select(Attachment).where(Attachment.message_id.in_(message_ids)).order_by(Attachment.id)
    return list(session.exec(query))


def thread_by_ref(
    session: Session, platform: str, channel: str, thread_id: str
) -> ThreadLink | None:
    query = select(ThreadLink).where(
        ThreadLink.platform == platform,
        ThreadLink.channel == channel,
        ThreadLink.thread_id == thread_id,
    )
    return session.exec(query).one_or_none()


def thread_opening(session: Session, platform: str, channel: str, now: datetime) -> bool:
    """Whether a worker is opening a thread in the channel right now (leased, not yet done)."""
    query = select(OutboxItem.id).where(
        OutboxItem.operation == "open_thread",
        OutboxItem.state == "pending",
        OutboxItem.platform == platform,
        OutboxItem.channel == channel,
        OutboxItem.claimed_until > now,
    )
    return session.exec(query.limit(1)).first() is not None


def thread_for_ticket(session: Session, ticket_id: int) -> ThreadLink | None:
    query = select(ThreadLink).where(ThreadLink.ticket_id == ticket_id).order_by(ThreadLink.id)
    return session.exec(query).first()


def message_by_external(session: Session, platform: str, external_id: str) -> Message | None:
    query = (
        select(Message)
        .join(MessageLink, MessageLink.message_id == Message.id)
        .where(MessageLink.platform == platform, MessageLink.external_id == external_id)
    )
    return session.exec(query).one_or_none()


def claim_inbound(session: Session, platform: str, event_id: str, now: datetime) -> bool:
    """Record the event id; False if some transaction already did (a retry or a replay).

    The insert is the claim: the unique constraint makes it atomic across instances, and it
    commits together with the event's effects, so a crash mid-way leaves the event unclaimed.
    """
    row = InboundEvent(platform=platform, event_id=event_id, received_at=now)
    return insert_unless_duplicate(session, row)


def audit(
    session: Session,
    *,
    actor: str,
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
            earlier.ticket_id == OutboxItem.ticket_id,
            earlier.state == "pending",
            earlier.id < OutboxItem.id,
        )
    )
    due = (
        select(OutboxItem.id)
        .where(
            OutboxItem.state == "pending",
            OutboxItem.next_attempt_at <= now,
            (OutboxItem.claimed_until.is_(None)) | (OutboxItem.claimed_until < now),
            (OutboxItem.ticket_id.is_(None)) | head_of_ticket,
        )
        .order_by(OutboxItem.id)
        .limit(limit)
    )
    if skip_channels:
        due = due.where(OutboxItem.channel.not_in(skip_channels))
    if session.bind.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids = list(session.exec(due))
    if not ids:
        return []
    session.exec(
        update(OutboxItem)
        .where(OutboxItem.id.in_(ids))
        .values(claimed_by=worker, claimed_until=now + lease, attempts=OutboxItem.attempts + 1)
    )
    rows = session.exec(select(OutboxItem).where(OutboxItem.id.in_(ids)).order_by(OutboxItem.id))
    return list(rows)


def due_tickets(session: Session, *, now: datetime, limit: int) -> list[Ticket]:
    query = (
        select(Ticket)
        .where(Ticket.status.in_(("suggested", "queued")), Ticket.due_at <= now)
        .order_by(Ticket.created_at, Ticket.id)
        .limit(limit)
    )
    return list(session.exec(query))


def release_leases(session: Session, *, worker: str) -> int:
    """Free the pending items leased by `worker`; returns how many."""
    result = session.exec(
        update(OutboxItem)
        .where(OutboxItem.claimed_by == worker, OutboxItem.state == "pending")
        .values(claimed_by=None, claimed_until=None)
    )
    return result.rowcount


def has_later_pending(session: Session, item: OutboxItem) -> bool:
    query = select(OutboxItem.id).where(
        OutboxItem.ticket_id == item.ticket_id,
        OutboxItem.operation == item.operation,
        OutboxItem.state == "pending",
        OutboxItem.id > item.id,
    )
    return session.exec(query.limit(1)).first() is not None


def tickets_created_since(session: Session, shop_id: int, since: datetime, *, cap: int) -> int:
    """How many tickets the shop opened since `since`, counting no further than `cap`: the
    rate check asks "at the limit yet?", and a busy shop must not make it slower."""
    recent = (
        select(Ticket.id)
        .where(Ticket.shop_id == shop_id, Ticket.created_at >= since)
        .limit(cap)
        .subquery()
    )
    return int(session.exec(select(func.count()).select_from(recent)).one())


# -- SLA, retention and reports (called by the scheduled jobs) ---------------------------------


def tickets_in_status(session: Session, statuses: tuple[str, ...]) -> list[Ticket]:
    query = select(Ticket).where(Ticket.status.in_(statuses)).order_by(Ticket.id)
    return list(session.exec(query))


def sla_alerts(session: Session, ticket_ids: list[int]) -> list[SlaAlert]:
    if not ticket_ids:
        return []
    query = select(SlaAlert).where(SlaAlert.ticket_id.in_(ticket_ids)).order_by(SlaAlert.id)
    return list(session.exec(query))


def quiet_tickets(session: Session, *, status: str, before: datetime, limit: int) -> list[Ticket]:
    """Tickets in `status` with no activity since `before`, oldest first."""
    query = (
        select(Ticket)
        .where(Ticket.status == status, Ticket.last_activity_at <= before)
        .order_by(Ticket.last_activity_at, Ticket.id)
        .limit(limit)
    )
    return list(session.exec(query))


def resolved_before(session: Session, *, before: datetime, limit: int) -> list[Ticket]:
    query = (
        select(Ticket)
        .where(Ticket.status == "resolved", Ticket.resolved_at <= before)
        .order_by(Ticket.resolved_at, Ticket.id)
        .limit(limit)
    )
    return list(session.exec(query))


def delete_ticket_content(session: Session, ticket_id: int) -> set[str]:
    """Delete a ticket's messages, attachment rows, chat links and outbox items.

    Returns the storage keys of the deleted attachments; the caller deletes the files after
    commit, and only those no other attachment row still references.
    """
    message_ids = select(Message.id).where(Message.ticket_id == ticket_id)
    keys = set(
        session.exec(select(Attachment.storage_key).where(Attachment.ticket_id == ticket_id))
    )
    session.exec(delete(MessageLink).where(MessageLink.message_id.in_(message_ids)))
    session.exec(delete(Attachment).where(Attachment.ticket_id == ticket_id))
    session.exec(delete(Message).where(Message.ticket_id == ticket_id))
    session.exec(delete(ThreadLink).where(ThreadLink.ticket_id == ticket_id))
    session.exec(delete(OutboxItem).where(OutboxItem.ticket_id == ticket_id))
    return keys


def storage_key_in_use(session: Session, key: str) -> bool:
    query = select(Attachment.id).where(Attachment.storage_key == key).limit(1)
    return session.exec(query).first() is not None


def prune_audit(session: Session, *, before: datetime) -> int:
    result = session.exec(delete(AuditEntry).where(AuditEntry.created_at < before))
    return result.rowcount


def prune_sla_alerts(session: Session, *, before: datetime) -> int:
    result = session.exec(delete(SlaAlert).where(SlaAlert.created_at < before))
    return result.rowcount


def count_by(session: Session, column: object) -> dict[str, int]:
    """Rows per value of `column`, e.g. `count_by(session, Ticket.status)`."""
    rows = session.exec(select(column, func.count()).group_by(column))
    return {str(value): int(count) for value, count in rows}


def tickets_touched_between(session: Session, start: datetime, end: datetime) -> list[Ticket]:
    """Tickets created, first answered or resolved in [start, end): what a report counts."""

    def within(column: object) -> object:
        return and_(column >= start, column < end)

    query = select(Ticket).where(
        or_(
            within(Ticket.created_at),
            within(Ticket.first_response_at),
            within(Ticket.resolved_at),
        )
    )
    return list(session.exec(query.order_by(Ticket.id)))


def audit_count(session: Session, *, action: str, start: datetime, end: datetime) -> int:
    query = select(func.count()).where(
        AuditEntry.action == action, AuditEntry.created_at >= start, AuditEntry.created_at < end
    )
    return int(session.exec(query).one())


def sla_alerts_between(session: Session, start: datetime, end: datetime) -> list[SlaAlert]:
    query = select(SlaAlert).where(SlaAlert.created_at >= start, SlaAlert.created_at < end)
    return list(session.exec(query.order_by(SlaAlert.id)))
