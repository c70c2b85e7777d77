"""Queries of the scheduled jobs: SLA checks, retention and reports; callers pass the session."""

from collections.abc import Collection
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, delete, func
from sqlmodel import Session, col, select

from bot.lifecycle import Status
from bot.vocabulary import Operation, OutboxState
from storage.models import (
    Attachment,
    AuditEntry,
    FormerThread,
    Message,
    MessageLink,
    OutboxItem,
    Rating,
    SlaAlert,
    ThreadLink,
    Ticket,
    Upload,
)


def tickets_in_status(session: Session, statuses: Collection[Status]) -> list[Ticket]:
    query = select(Ticket).where(col(Ticket.status).in_(statuses)).order_by(col(Ticket.id))
    return list(session.exec(query))


def sla_alerts(session: Session, ticket_ids: list[int]) -> list[SlaAlert]:
    if not ticket_ids:
        return []
    query = (
        select(SlaAlert).where(col(SlaAlert.ticket_id).in_(ticket_ids)).order_by(col(SlaAlert.id))
    )
    return list(session.exec(query))


def quiet_tickets(
    session: Session, *, status: Status, before: datetime, limit: int
) -> list[Ticket]:
    """Tickets in `status` with no activity since `before`, oldest first."""
    query = (
        select(Ticket)
        .where(Ticket.status == status, col(Ticket.last_activity_at) <= before)
        .order_by(col(Ticket.last_activity_at), col(Ticket.id))
        .limit(limit)
    )
    return list(session.exec(query))


def resolved_before(session: Session, *, before: datetime, limit: int) -> list[Ticket]:
    query = (
        select(Ticket)
        .where(Ticket.status == Status.RESOLVED, col(Ticket.resolved_at) <= before)
        .order_by(col(Ticket.resolved_at), col(Ticket.id))
        .limit(limit)
    )
    return list(session.exec(query))


def delete_ticket_content(session: Session, ticket_id: int) -> set[str]:
    """Delete a ticket's messages, attachment rows, chat links, outbox items and rating.

    Returns the storage keys of the deleted attachments; the caller deletes the files after
    commit, and only those nothing still uses (`storage_key_in_use`).
    """
    message_ids = select(Message.id).where(Message.ticket_id == ticket_id)
    keys = set(
        session.exec(select(Attachment.storage_key).where(Attachment.ticket_id == ticket_id))
    )
    session.exec(delete(MessageLink).where(col(MessageLink.message_id).in_(message_ids)))
    session.exec(delete(Attachment).where(col(Attachment.ticket_id) == ticket_id))
    session.exec(delete(Message).where(col(Message.ticket_id) == ticket_id))
    session.exec(delete(ThreadLink).where(col(ThreadLink.ticket_id) == ticket_id))
    session.exec(delete(FormerThread).where(col(FormerThread.ticket_id) == ticket_id))
    session.exec(delete(OutboxItem).where(col(OutboxItem.ticket_id) == ticket_id))
    session.exec(delete(Rating).where(col(Rating.ticket_id) == ticket_id))
    return keys


def storage_key_in_use(session: Session, key: str) -> bool:
    """Whether an attachment, an upload or an announcement's picture still needs the bytes
    under `key` (files are content-addressed: they share them). An upload keeps them until its
    row is forgotten after it expired (adapters/panel/uploads.py), which then deletes them if
    unused."""
    attachment = select(Attachment.id).where(Attachment.storage_key == key).limit(1)
    upload = select(Upload.id).where(Upload.storage_key == key).limit(1)
    return (
        session.exec(attachment).first() is not None
        or session.exec(upload).first() is not None
        or _announcement_needs(session, key)
    )


def _picture_key() -> ColumnElement[str]:
    """An announcement's picture's storage key, read from the item's JSON payload."""
    # JSON path operators on SQLite and PostgreSQL alike; the column is typed as a plain dict.
    payload = cast(Any, col(OutboxItem.payload))
    return cast(ColumnElement[str], payload["picture"]["storage_key"].as_string())


def _announcement_needs(session: Session, key: str) -> bool:
    """Whether an announcement that may still be delivered (pending, or dead until an
    operator retries or drops it) carries the picture stored under `key`."""
    query = select(OutboxItem.id).where(
        OutboxItem.operation == Operation.ANNOUNCE,
        col(OutboxItem.state).in_((OutboxState.PENDING, OutboxState.DEAD)),
        _picture_key() == key,
    )
    return session.exec(query.limit(1)).first() is not None


def dropped_pictures(session: Session) -> set[str]:
    """Storage keys of the pictures of announcements an operator dropped (delivered ones let
    go of theirs when they are done)."""
    query = select(_picture_key()).where(
        OutboxItem.operation == Operation.ANNOUNCE,
        OutboxItem.state == OutboxState.DROPPED,
        _picture_key().is_not(None),
    )
    return {str(key) for key in session.exec(query)}


def prune_audit(session: Session, *, before: datetime) -> int:
    result = session.exec(delete(AuditEntry).where(col(AuditEntry.created_at) < before))
    return int(result.rowcount)


def prune_sla_alerts(session: Session, *, before: datetime) -> int:
    result = session.exec(delete(SlaAlert).where(col(SlaAlert.created_at) < before))
    return int(result.rowcount)


def audit_count(session: Session, *, action: str, start: datetime, end: datetime) -> int:
    query = select(func.count()).where(
        AuditEntry.action == action,
        col(AuditEntry.created_at) >= start,
        col(AuditEntry.created_at) < end,
    )
    return int(session.exec(query).one())
