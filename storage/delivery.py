"""Outbox queries: enqueue, claim (queue heads, probes of blocked channels), blocks, leases."""

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, exists, or_, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from bot.vocabulary import Operation, OutboxState, Platform
from storage.db import note_outbox_write
from storage.models import BlockedChannel, ChannelLease, OutboxItem, ThreadLink
from storage.repositories import insert_unless_duplicate, skip_locked, upsert
from storage.repositories import row_id as repo_id

ALL_CHANNELS = "*"  # a block of the whole platform (a revoked token, a missing scope)
REQUEUED = ":requeued:"  # in the keys of items queued again, after their original key
ROOT_OPERATIONS = (Operation.OPEN_THREAD, Operation.UPDATE_ROOT)


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


def _head_of_queue() -> ColumnElement[bool]:
    """The item is the oldest pending one of its ticket on its platform, so a thread gets its
    messages in order even with several workers (a webhook queue never waits for a chat one)."""
    earlier = aliased(OutboxItem)
    return col(OutboxItem.ticket_id).is_(None) | ~exists().where(
        and_(
            col(earlier.ticket_id) == col(OutboxItem.ticket_id),
            col(earlier.platform) == col(OutboxItem.platform),
            col(earlier.state) == OutboxState.PENDING,
            col(earlier.id) < col(OutboxItem.id),
        )
    )


def blocked() -> ColumnElement[bool]:
    """The item waits in a blocked channel (or on a blocked platform)."""
    return exists().where(
        col(BlockedChannel.platform) == col(OutboxItem.platform),
        or_(
            col(BlockedChannel.channel) == col(OutboxItem.channel),
            col(BlockedChannel.channel) == ALL_CHANNELS,
        ),
    )


def _eligible(now: datetime) -> list[ColumnElement[bool]]:
    claimed_until = col(OutboxItem.claimed_until)
    return [
        col(OutboxItem.state) == OutboxState.PENDING,
        col(OutboxItem.next_attempt_at) <= now,
        claimed_until.is_(None) | (claimed_until < now),
        _head_of_queue(),
    ]


def _free_channel(worker: str, now: datetime) -> ColumnElement[bool]:
    """No other instance delivers to the item's channel now (nor within its pacing interval)."""
    return ~exists().where(
        col(ChannelLease.platform) == col(OutboxItem.platform),
        col(ChannelLease.channel) == col(OutboxItem.channel),
        col(ChannelLease.holder) != worker,
        col(ChannelLease.until) > now,
    )


def _take_channel(
    session: Session,
    platform: Platform,
    channel: str,
    *,
    worker: str,
    until: datetime,
    now: datetime,
) -> bool:
    """Lease the channel for this worker unless another one holds it; atomic across instances."""
    table = ChannelLease.__table__  # type: ignore[attr-defined]
    statement = (
        upsert(session, table)
        .values(platform=platform, channel=channel, holder=worker, until=until)
        .on_conflict_do_update(
            index_elements=["platform", "channel"],
            set_={"holder": worker, "until": until},
            where=(table.c.holder == worker) | (table.c.until <= now),
        )
        .returning(table.c.channel)
    )
    return session.exec(statement).first() is not None


def _lease(
    session: Session, ids: list[int], *, worker: str, now: datetime, lease: timedelta
) -> list[OutboxItem]:
    if not ids:
        return []
    candidates = session.exec(
        select(OutboxItem).where(col(OutboxItem.id).in_(ids)).order_by(col(OutboxItem.id))
    ).all()
    taken: dict[tuple[Platform, str], bool] = {}
    for item in candidates:
        where = (item.platform, item.channel)
        if where not in taken:
            taken[where] = _take_channel(session, *where, worker=worker, until=now + lease, now=now)
    ids = [repo_id(item) for item in candidates if taken[(item.platform, item.channel)]]
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


def claim_outbox(
    session: Session,
    *,
    worker: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    skip_channels: Collection[str] = (),
) -> list[OutboxItem]:
    """Lease up to `limit` due items: heads of their ticket's queue, none in `skip_channels`
    and none in a blocked channel (those wait for their probe, `claim_probes`).

    `SKIP LOCKED` keeps workers from blocking on each other's rows."""
    due = (
        select(OutboxItem.id)
        .where(*_eligible(now), ~blocked(), _free_channel(worker, now))
        .order_by(col(OutboxItem.id))
        .limit(limit)
    )
    if skip_channels:
        due = due.where(col(OutboxItem.channel).not_in(skip_channels))
    due = skip_locked(session, due)
    ids = [item_id for item_id in session.exec(due) if item_id is not None]
    return _lease(session, ids, worker=worker, now=now, lease=lease)


def claim_probes(
    session: Session,
    *,
    worker: str,
    now: datetime,
    lease: timedelta,
    skip_channels: Collection[str] = (),
) -> tuple[list[OutboxItem], list[BlockedChannel]]:
    """For each blocked channel (or platform) whose probe is due, lease its oldest eligible item:
    the one delivery that tells whether an operator has fixed it yet. Blocks with nothing
    waiting (their tickets moved to a fallback route) come back on their own, to be probed
    without a delivery."""
    due = select(BlockedChannel).where(col(BlockedChannel.next_probe_at) <= now)
    due = skip_locked(session, due)
    ids: list[int] = []
    idle: list[BlockedChannel] = []
    for block in session.exec(due):
        probe = select(OutboxItem.id).where(
            *_eligible(now), _free_channel(worker, now), OutboxItem.platform == block.platform
        )
        if block.channel != ALL_CHANNELS:
            probe = probe.where(OutboxItem.channel == block.channel)
        if skip_channels:
            probe = probe.where(col(OutboxItem.channel).not_in(skip_channels))
        found = session.exec(probe.order_by(col(OutboxItem.id)).limit(1)).first()
        if found in ids:
            continue
        if found is None:
            idle.append(block)
        else:
            ids.append(found)
        # In flight: no other probe of this block until the lease is over.
        block.next_probe_at = now + lease
        session.add(block)
    return _lease(session, ids, worker=worker, now=now, lease=lease), idle


def _opening(now: datetime) -> list[ColumnElement[bool]]:
    """A thread a worker is opening right now (leased, not yet done)."""
    return [
        col(OutboxItem.operation) == Operation.OPEN_THREAD,
        col(OutboxItem.state) == OutboxState.PENDING,
        col(OutboxItem.claimed_until) > now,
    ]


def thread_opening(session: Session, platform: Platform, channel: str, now: datetime) -> bool:
    """Whether a worker is opening a thread in the channel right now."""
    query = select(OutboxItem.id).where(
        *_opening(now), OutboxItem.platform == platform, OutboxItem.channel == channel
    )
    return session.exec(query.limit(1)).first() is not None


def ticket_thread_opening(session: Session, ticket_id: int, now: datetime) -> bool:
    """Whether a worker is opening one of the ticket's threads right now.

    The ticket's pending items are locked first (PostgreSQL; SQLite has one writer anyway): a
    claim under way is waited for and its lease seen, and a later claim passes over them until
    our transaction ends, so the answer holds while the caller acts on it."""
    pending = select(OutboxItem.id).where(
        OutboxItem.ticket_id == ticket_id, OutboxItem.state == OutboxState.PENDING
    )
    session.exec(pending.with_for_update()).all()
    query = select(OutboxItem.id).where(*_opening(now), OutboxItem.ticket_id == ticket_id)
    return session.exec(query.limit(1)).first() is not None


def pace_channel(
    session: Session, platform: Platform, channel: str, *, worker: str, until: datetime
) -> None:
    """A lane is done: the channel stays ours until `until` (its pacing interval from now), so
    no other instance posts there sooner than the platform allows."""
    session.exec(
        update(ChannelLease)
        .where(
            col(ChannelLease.platform) == platform,
            col(ChannelLease.channel) == channel,
            col(ChannelLease.holder) == worker,
        )
        .values(until=until)
    )


def release_leases(session: Session, *, worker: str, now: datetime) -> int:
    """Free the pending items and the channels leased by `worker`; returns how many items."""
    session.exec(update(ChannelLease).where(col(ChannelLease.holder) == worker).values(until=now))
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


def pending_of_ticket(session: Session, ticket_id: int, platform: Platform) -> list[OutboxItem]:
    """The ticket's undelivered items on a platform, oldest first."""
    query = select(OutboxItem).where(
        OutboxItem.ticket_id == ticket_id,
        OutboxItem.platform == platform,
        OutboxItem.state == OutboxState.PENDING,
    )
    return list(session.exec(query.order_by(col(OutboxItem.id))))


def copy_item(item: OutboxItem, *, key: str) -> OutboxItem:
    """The same delivery under a new key, pending from now (its original is set aside)."""
    return OutboxItem(
        idempotency_key=key,
        ticket_id=item.ticket_id,
        department=item.department,
        platform=item.platform,
        channel=item.channel,
        operation=item.operation,
        payload=dict(item.payload),
        next_attempt_at=item.next_attempt_at,
        created_at=item.created_at,
    )


def requeued_key(key: str) -> str:
    """A fresh key for an item queued again; keys do not grow copy by copy."""
    return f"{key.split(REQUEUED)[0]}{REQUEUED}{uuid.uuid4().hex[:8]}"


def requeue_behind(
    session: Session,
    waiting: Sequence[OutboxItem],
    *,
    opening: OutboxItem | None,
    to: tuple[Platform, str] | None,
    department: str | None,
) -> int:
    """Queue a ticket's undelivered `waiting` items again at `to`, under fresh keys, behind
    `opening` (a new root, queued already) when there is one; none of them reached the
    platform, and the originals are marked replaced. Returns how many were queued again.

    A move's word to the thread it left stays as it is (addressed there). Root openings and
    updates are not copied behind a new root (it shows the ticket as it is at delivery), and
    nothing is when `to` is None (the ticket is in no chat now)."""
    copied = 0
    for old in waiting:
        if old.operation == Operation.LEAVE_THREAD:
            continue
        old.state = OutboxState.REPLACED
        replaced_by = opening.idempotency_key if opening else None
        if to is not None and not (opening and old.operation in ROOT_OPERATIONS):
            copy = copy_item(old, key=requeued_key(old.idempotency_key))
            copy.platform, copy.channel, copy.department = *to, department
            enqueue(session, copy)
            replaced_by, copied = copy.idempotency_key, copied + 1
        old.result = {"replaced_by": replaced_by}
        session.add(old)
    return copied


def forget_thread(session: Session, ticket_id: int, platform: Platform) -> None:
    """The ticket's thread on the platform is gone (its root was deleted)."""
    session.exec(
        delete(ThreadLink).where(
            col(ThreadLink.ticket_id) == ticket_id, col(ThreadLink.platform) == platform
        )
    )


def remember_root(session: Session, ticket_id: int, platform: Platform, *, digest: str) -> None:
    """The ticket's root on the platform shows the state with this digest now."""
    session.exec(
        update(ThreadLink)
        .where(col(ThreadLink.ticket_id) == ticket_id, col(ThreadLink.platform) == platform)
        .values(root_digest=digest)
    )
