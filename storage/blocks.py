"""Channels (or whole platforms) whose deliveries wait for an operator: blocks and fallbacks."""

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, select

from bot.vocabulary import Operation, OutboxState, Platform
from storage.db import note_outbox_write
from storage.delivery import ALL_CHANNELS, pending_of_ticket
from storage.models import BlockedChannel, OutboxItem
from storage.repositories import insert_unless_duplicate


def block(
    session: Session,
    *,
    platform: Platform,
    channel: str,
    code: str,
    detail: str,
    now: datetime,
    probe_in: timedelta,
) -> tuple[BlockedChannel, bool]:
    """Record (or extend) a block; True when it is new, i.e. nobody has been told yet.

    Two deliveries of one channel can fail at once (in two lanes or instances): the insert
    that loses the race finds the winner's row and extends it instead."""
    first = BlockedChannel(
        platform=platform,
        channel=channel,
        code=code,
        detail=detail[:2000],
        since=now,
        next_probe_at=now + probe_in,
        probes=1,
    )
    new = insert_unless_duplicate(session, first)
    row = session.exec(
        select(BlockedChannel).where(
            BlockedChannel.platform == platform, BlockedChannel.channel == channel
        )
    ).one()
    if new:
        return row, True
    row.code, row.detail = code, detail[:2000]
    row.probes += 1
    row.next_probe_at = now + probe_in
    session.add(row)
    return row, new


def unblock(session: Session, *, platform: Platform, channel: str) -> list[BlockedChannel]:
    """A delivery to `channel` worked: lift its block and its platform's; returns what it lifted."""
    rows = list(
        session.exec(
            select(BlockedChannel).where(
                BlockedChannel.platform == platform,
                col(BlockedChannel.channel).in_((channel, ALL_CHANNELS)),
            )
        )
    )
    if rows:
        session.exec(delete(BlockedChannel).where(col(BlockedChannel.id).in_([r.id for r in rows])))
    return rows


def blocked_channels(session: Session) -> list[BlockedChannel]:
    return list(session.exec(select(BlockedChannel).order_by(col(BlockedChannel.id))))


def block_of(session: Session, platform: Platform, channel: str) -> BlockedChannel | None:
    """The oldest block that holds deliveries to the channel (its own or its platform's)."""
    query = select(BlockedChannel).where(
        BlockedChannel.platform == platform,
        col(BlockedChannel.channel).in_((channel, ALL_CHANNELS)),
    )
    return session.exec(query.order_by(col(BlockedChannel.since))).first()


def waiting_openings(session: Session, platform: Platform, channel: str) -> list[OutboxItem]:
    """Pending first threads in the channel (every channel of the platform for "*")."""
    query = select(OutboxItem).where(
        OutboxItem.operation == Operation.OPEN_THREAD,
        OutboxItem.state == OutboxState.PENDING,
        OutboxItem.platform == platform,
        col(OutboxItem.claimed_until).is_(None),
    )
    if channel != ALL_CHANNELS:
        query = query.where(OutboxItem.channel == channel)
    return list(session.exec(query.order_by(col(OutboxItem.id))))


def move_ticket(
    session: Session,
    ticket_id: int,
    *,
    here: tuple[Platform, str],
    to: tuple[Platform, str],
    note: str,
) -> None:
    """Send a ticket's undelivered items (its first thread and what follows) elsewhere; the
    opening carries `note` for its root."""
    for item in pending_of_ticket(session, ticket_id, here[0]):
        if item.channel != here[1]:
            continue
        item.platform, item.channel = to
        if item.operation == Operation.OPEN_THREAD:
            item.payload = {**item.payload, "note": note}
        session.add(item)
    note_outbox_write(session, to[1])
