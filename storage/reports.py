"""Read queries of managers' reports: counts grouped in SQL over one period, rows only where the
domain must compute (SLA minutes, title words); callers pass the session."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, distinct, false, func, or_, true
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bot.lifecycle import Status
from bot.sla import BREACH
from bot.vocabulary import Author, Priority
from storage.models import AuditEntry, Message, Rating, SlaAlert, Ticket

# Audit actors of agents are stored as `agent:<platform>:<user id>`.
AGENT_ACTORS = "agent:%"


def _within(column: Any, start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(col(column) >= start, col(column) < end)


def _bucket(column: Any, boundaries: Sequence[datetime]) -> Any:
    """The index i of the [boundaries[i], boundaries[i + 1]) interval holding `column`: the
    local days of a report, grouped in SQL on both SQLite and PostgreSQL."""
    whens = [(col(column) < edge, index) for index, edge in enumerate(boundaries[1:])]
    # Never reached behind the callers' WHERE (before the last boundary); if it were, the last
    # interval, an index the callers' lists have.
    return case(*whens, else_=len(boundaries) - 2)


def _per_day(column: Any, days: Sequence[datetime], *keys: Any) -> Select[Any]:
    """Tickets counted by `keys` and the day `column` falls on. The day is computed in a
    subquery: PostgreSQL would not match a CASE with bound parameters in GROUP BY to the
    same CASE in the select list."""
    inner = (
        sa_select(*keys, _bucket(column, days).label("day"))
        .where(_within(column, days[0], days[-1]))
        .subquery()
    )
    grouped = [*(inner.c[key.key] for key in keys), inner.c.day]
    return sa_select(*grouped, func.count()).group_by(*grouped)


def opened_counts(session: Session, days: Sequence[datetime]) -> list[tuple[str, int, int]]:
    """(department, day index, tickets opened) for the days bounded by `days` (n + 1 instants)."""
    query = _per_day(Ticket.created_at, days, col(Ticket.department))
    return [(str(d), int(i), int(n)) for d, i, n in session.execute(query)]


def resolved_counts(session: Session, days: Sequence[datetime]) -> list[tuple[str, int, bool, int]]:
    """(department, day index, deflected, tickets resolved) for the days bounded by `days`."""
    query = _per_day(Ticket.resolved_at, days, col(Ticket.department), col(Ticket.deflected))
    return [(str(d), int(i), bool(f), int(n)) for d, f, i, n in session.execute(query)]


def first_responses(
    session: Session, start: datetime, end: datetime
) -> list[tuple[int, Priority, datetime, datetime]]:
    """(ticket id, priority, opened, first answered) of the tickets first answered in the period."""
    query = select(
        col(Ticket.id), Ticket.priority, Ticket.created_at, Ticket.first_response_at
    ).where(_within(Ticket.first_response_at, start, end))
    return [(i, Priority(p), c, f) for i, p, c, f in session.exec(query) if i and f]


def resolutions(
    session: Session, start: datetime, end: datetime
) -> list[tuple[Priority, datetime, datetime]]:
    """(priority, opened, resolved) of the tickets support resolved in the period. Auto-resolves
    are left out: the time to one is mostly the shop's silence, not support's work (they still
    count as resolved in `resolved_counts`)."""
    auto_resolve = sa_select(col(AuditEntry.id)).where(
        col(AuditEntry.ticket_id) == Ticket.id,
        col(AuditEntry.action) == "resolve",
        AuditEntry.detail["auto"].as_boolean() == true(),
        col(AuditEntry.created_at) == Ticket.resolved_at,  # the resolve that still stands
    )
    query = select(Ticket.priority, Ticket.created_at, Ticket.resolved_at).where(
        _within(Ticket.resolved_at, start, end),
        col(Ticket.deflected) == false(),
        ~auto_resolve.exists(),
    )
    return [(Priority(p), c, r) for p, c, r in session.exec(query) if r is not None]


def first_breaches(session: Session, start: datetime, end: datetime) -> int:
    """Breach alerts raised in the period, repeats of an alert not counted."""
    query = select(func.count()).where(
        _within(SlaAlert.created_at, start, end), SlaAlert.stage == BREACH, SlaAlert.seq == 1
    )
    return int(session.exec(query).one())


def tickets_handled_within(session: Session, ranges: Sequence[tuple[datetime, datetime]]) -> int:
    """Distinct tickets an agent answered (a message to the shop) or resolved in any range."""
    if not ranges:
        return 0
    replied = select(Message.ticket_id).where(
        Message.author == Author.AGENT,
        or_(*(_within(Message.created_at, a, b) for a, b in ranges)),
    )
    resolved = select(col(AuditEntry.ticket_id)).where(
        AuditEntry.action == "resolve",
        col(AuditEntry.actor).like(AGENT_ACTORS),
        or_(*(_within(AuditEntry.created_at, a, b) for a, b in ranges)),
    )
    handled = replied.union(resolved).subquery()
    return int(session.exec(select(func.count()).select_from(handled)).one())


def triage_corrections(session: Session, start: datetime, end: datetime) -> tuple[int, int, int]:
    """(tickets escalated in the period, of them re-prioritised, of them moved by an agent
    before the period's end)."""
    escalated = select(Ticket.id).where(_within(Ticket.escalated_at, start, end))

    def corrected(action: str) -> Any:
        return func.count(
            distinct(
                case((col(AuditEntry.action) == action, col(AuditEntry.ticket_id)), else_=None)
            )
        )

    query = select(corrected("priority"), corrected("move")).where(
        col(AuditEntry.ticket_id).in_(escalated),
        col(AuditEntry.action).in_(("priority", "move")),
        col(AuditEntry.actor).like(AGENT_ACTORS),
        col(AuditEntry.created_at) < end,
    )
    reprioritised, moved = session.exec(query).one()
    total = session.exec(select(func.count()).select_from(escalated.subquery())).one()
    return int(total), int(reprioritised), int(moved)


def replies_by_agent(session: Session, start: datetime, end: datetime) -> dict[str, int]:
    """Messages agents sent to shops in the period (notes excluded), by display name."""
    query = (
        select(Message.author_name, func.count())
        .where(Message.author == Author.AGENT, _within(Message.created_at, start, end))
        .group_by(Message.author_name)
    )
    return {str(name): int(n) for name, n in session.exec(query)}


def resolves_by_agent(session: Session, start: datetime, end: datetime) -> dict[str, int]:
    """Tickets agents resolved in the period, by display name: the "resolved" line Pomoc tells
    the shop names the agent the way messages do (the audit row holds only the chat id)."""
    by = Message.extra["by"].as_string()
    query = (
        select(by, func.count())
        .where(
            Message.author == Author.BOT,
            Message.extra["kind"].as_string() == "resolved",
            _within(Message.created_at, start, end),
        )
        .group_by(by)
    )
    return {str(name): int(n) for name, n in session.exec(query) if name}


def first_responders(session: Session, start: datetime, end: datetime) -> dict[int, str]:
    """Who sent the first message to the shop, by display name, of each ticket first answered
    in the period."""
    answered = select(Ticket.id).where(_within(Ticket.first_response_at, start, end))
    first = (
        select(func.min(Message.id))
        .where(Message.author == Author.AGENT, col(Message.ticket_id).in_(answered))
        .group_by(col(Message.ticket_id))
    )
    query = select(Message.ticket_id, Message.author_name).where(col(Message.id).in_(first))
    return {int(t): str(name) for t, name in session.exec(query)}


def knowledge_gaps(
    session: Session, start: datetime, end: datetime, *, department: str | None = None
) -> list[tuple[int, str, str]]:
    """(id, department, title) of the tickets opened in the period that no article answered:
    triage suggested none, or the owner said the suggestions did not help. Newest first."""
    unhelpful = select(col(AuditEntry.ticket_id)).where(
        AuditEntry.action == "feedback",
        col(AuditEntry.created_at) >= start,
        AuditEntry.detail["helped"].as_boolean() == false(),
    )
    # json_array_length reads the list in SQLite and PostgreSQL alike (NULL when none stored).
    suggested = func.coalesce(func.json_array_length(Ticket.triage["suggestions"]), 0)
    query = select(col(Ticket.id), Ticket.department, Ticket.title).where(
        _within(Ticket.created_at, start, end),
        Ticket.status != Status.PURGED,
        or_(suggested == 0, col(Ticket.id).in_(unhelpful)),
    )
    if department is not None:
        query = query.where(Ticket.department == department)
    rows = session.exec(query.order_by(col(Ticket.created_at).desc(), col(Ticket.id).desc()))
    return [(int(i), str(d), str(title)) for i, d, title in rows if i is not None]


def ratings(session: Session, start: datetime, end: datetime) -> list[tuple[int, str | None]]:
    """(score, comment) of the ratings shops gave or changed in the period, the newest first."""
    query = (
        select(Rating.score, Rating.comment)
        .where(_within(Rating.updated_at, start, end))
        .order_by(col(Rating.updated_at).desc(), col(Rating.id).desc())
    )
    return [(int(score), comment) for score, comment in session.exec(query)]
