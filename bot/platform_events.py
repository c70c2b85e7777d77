"""Webhook events for the shop platform, derived from what each transaction changed and queued
in the outbox by that same transaction: ticket.created, ticket.updated, message.created,
ticket.unread_changed, ticket.rated."""

# Why derived instead of called at each change: a ticket's status, priority, department and
# unread flag are set in a dozen places (the state machine, agents' commands, feedback, read
# marks, retention). Watching the ORM's own change history at flush time sees every one of them,
# including ones added later, and nets out a transaction's steps (a new ticket moving new ->
# suggested is one ticket.created, not three events). Only engines of a Core whose config names
# webhook endpoints are watched (`watch`); every other session pays one dictionary lookup.

import uuid
import weakref
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.clock import Clock
from bot.inbox import shop_ticket
from bot.outbox import WebhookEvent, enqueue_webhook
from bot.vocabulary import Author
from storage import repositories as repo
from storage.models import Message, Rating, Shop, Ticket

TRACKED = ("status", "priority", "department")
PENDING = "pomoc.platform_events"


class EventType(StrEnum):
    TICKET_CREATED = "ticket.created"
    TICKET_UPDATED = "ticket.updated"
    MESSAGE_CREATED = "message.created"
    UNREAD_CHANGED = "ticket.unread_changed"
    TICKET_RATED = "ticket.rated"


@dataclass(frozen=True)
class Watch:
    endpoints: tuple[str, ...]
    clock: Clock


@dataclass
class Pending:
    """What a transaction changed so far: new tickets, tickets' first-seen old values, replies,
    ratings given or changed."""

    created: list[Ticket] = field(default_factory=list)
    before: dict[int, tuple[Ticket, dict[str, Any]]] = field(default_factory=dict)
    replies: list[Message] = field(default_factory=list)
    rated: list[Rating] = field(default_factory=list)


_WATCHED: "weakref.WeakKeyDictionary[Engine, Watch]" = weakref.WeakKeyDictionary()


def watch(engine: Engine, *, endpoints: tuple[str, ...], clock: Clock) -> None:
    """Queue webhook events for every transaction on `engine` (nothing without endpoints)."""
    if endpoints:
        _WATCHED[engine] = Watch(endpoints, clock)


def _watch_of(session: Session) -> Watch | None:
    bind = session.bind
    return _WATCHED.get(bind) if isinstance(bind, Engine) else None


def _old_value(row: Ticket, name: str) -> tuple[bool, Any]:
    history = inspect(row).attrs[name].history
    if not history.has_changes():
        return False, None
    return True, history.deleted[0] if history.deleted else None


@event.listens_for(Session, "before_flush")
def _collect(session: Session, _context: object, _instances: object) -> None:
    if _watch_of(session) is None:
        return
    pending: Pending = session.info.setdefault(PENDING, Pending())
    for row in session.new:
        if isinstance(row, Ticket):
            pending.created.append(row)
        elif isinstance(row, Message) and row.author == Author.AGENT:
            pending.replies.append(row)
    for row in (*session.new, *session.dirty):
        if isinstance(row, Rating) and not any(row is seen for seen in pending.rated):
            pending.rated.append(row)
    for row in session.dirty:
        if not isinstance(row, Ticket) or row.id is None:
            continue
        _, seen = pending.before.setdefault(row.id, (row, {}))
        for name in (*TRACKED, "unread"):
            changed, old = _old_value(row, name)
            if changed and name not in seen:
                seen[name] = old


@event.listens_for(Session, "before_commit")
def _queue(session: Session) -> None:
    watched = _watch_of(session)
    if watched is None:
        return
    session.flush()  # ids for new rows, and the last changes collected
    pending: Pending | None = session.info.pop(PENDING, None)
    if pending is None:
        return
    now = watched.clock.now()
    created = {repo.row_id(ticket) for ticket in pending.created}
    for ticket in pending.created:
        _send(session, watched, ticket, EventType.TICKET_CREATED, {"ticket": _ticket(ticket)}, now)
    for reply in pending.replies:
        replied = session.get(Ticket, reply.ticket_id)
        if replied is not None and reply.ticket_id not in created:
            data = {"ticket_id": reply.ticket_id, "message": _message(reply)}
            _send(session, watched, replied, EventType.MESSAGE_CREATED, data, now)
    for ticket_id, (ticket, before) in pending.before.items():
        if ticket_id not in created:
            _changed(session, watched, ticket, before, now)
    for rating in pending.rated:
        rated = session.get(Ticket, rating.ticket_id)
        if rated is not None:
            data = {"ticket_id": rating.ticket_id, "rating": _rating(rating)}
            _send(session, watched, rated, EventType.TICKET_RATED, data, now)


def _changed(
    session: Session, watched: Watch, ticket: Ticket, before: dict[str, Any], now: datetime
) -> None:
    changes = {
        name: [_plain(old), _plain(getattr(ticket, name))]
        for name, old in before.items()
        if name in TRACKED and old != getattr(ticket, name)
    }
    if changes:
        data: dict[str, Any] = {"ticket": _ticket(ticket), "changes": changes}
        _send(session, watched, ticket, EventType.TICKET_UPDATED, data, now)
    if "unread" in before and before["unread"] != ticket.unread:
        data = {
            "ticket_id": ticket.id,
            "unread": ticket.unread,
            "shop_unread": repo.unread_count(session, ticket.shop_id),
        }
        _send(session, watched, ticket, EventType.UNREAD_CHANGED, data, now)


def _send(
    session: Session,
    watched: Watch,
    ticket: Ticket,
    kind: EventType,
    data: dict[str, Any],
    now: datetime,
) -> None:
    shop = session.get(Shop, ticket.shop_id)
    event_id = f"evt_{uuid.uuid4().hex}"
    body = {
        "id": event_id,
        "type": str(kind),
        "created_at": now.isoformat(),
        "shop": {"id": ticket.shop_id, "external_id": shop.external_id if shop else None},
        "data": data,
    }
    enqueue_webhook(
        session,
        endpoints=watched.endpoints,
        event=WebhookEvent(event_id, body),
        ticket_id=repo.row_id(ticket),
        now=now,
    )


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value) if isinstance(value, StrEnum) else value


def _ticket(ticket: Ticket) -> dict[str, Any]:
    return {name: _plain(value) for name, value in asdict(shop_ticket(ticket)).items()}


def _message(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "author": str(message.author),
        "author_name": message.author_name,
        "body": message.body,
        "created_at": message.created_at.isoformat(),
    }


def _rating(rating: Rating) -> dict[str, Any]:
    return {
        "score": rating.score,
        "comment": rating.comment,
        "created_at": rating.created_at.isoformat(),
        "updated_at": rating.updated_at.isoformat(),
    }
