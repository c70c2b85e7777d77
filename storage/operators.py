"""Outbox queries for operators (`pomoc outbox`): list, deliver again now, probe a fixed channel."""

from datetime import datetime

from sqlmodel import Session, col, select

from bot.vocabulary import OutboxState
from storage.delivery import ALL_CHANNELS, blocked
from storage.models import BlockedChannel, OutboxItem


def listed(
    session: Session,
    *,
    state: str | None = None,
    channel: str | None = None,
    ticket_id: int | None = None,
    limit: int = 200,
) -> list[OutboxItem]:
    """Items for an operator, oldest first; `state` "blocked" means pending in a blocked channel."""
    query = select(OutboxItem)
    if state == "blocked":
        query = query.where(OutboxItem.state == OutboxState.PENDING, blocked())
    elif state is not None:
        query = query.where(OutboxItem.state == OutboxState(state))
    else:
        query = query.where(col(OutboxItem.state).in_((OutboxState.PENDING, OutboxState.DEAD)))
    if channel is not None:
        query = query.where(OutboxItem.channel == channel)
    if ticket_id is not None:
        query = query.where(OutboxItem.ticket_id == ticket_id)
    return list(session.exec(query.order_by(col(OutboxItem.id)).limit(limit)))


def retry_now(session: Session, items: list[OutboxItem], now: datetime) -> int:
    """Make dead or waiting items due at once, with a fresh count of attempts."""
    for item in items:
        item.state = OutboxState.PENDING
        item.next_attempt_at = min(item.next_attempt_at, now)
        item.attempts = 0
        item.claimed_by = item.claimed_until = None
        session.add(item)
    return len(items)


def probe_now(session: Session, *, channel: str) -> int:
    """An operator says a channel is fixed: probe its block (and its platform's) at once."""
    rows = list(
        session.exec(
            select(BlockedChannel).where(col(BlockedChannel.channel).in_((channel, ALL_CHANNELS)))
        )
    )
    for row in rows:
        row.next_probe_at = row.since  # in the past: the next pass probes it
        session.add(row)
    return len(rows)
