"""Inbound chat events taken in at once and handled after, in order per channel, at least once."""

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, update
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from bot.clock import Clock
from bot.ports import QueuedEvent
from bot.vocabulary import OutboxState, Platform
from storage.db import Database
from storage.models import InboundQueueItem
from storage.repositories import insert_unless_duplicate, skip_locked
from storage.repositories import row_id as repo_id

# How long an event that nobody tried yet is left to the answer that kept it (it starts at once).
FRESH = timedelta(seconds=10)


class StoredEvents:
    """The `EventQueue` an adapter writes to in its HTTP answer and reads from after."""

    def __init__(self, db: Database, clock: Clock, *, platform: Platform, worker: str) -> None:
        self.db = db
        self.clock = clock
        self.platform = platform
        self.worker = worker

    def put(self, *, event_id: str, kind: str, channel: str, payload: dict[str, Any]) -> bool:
        """Keep the event; False when it is there already (Slack sent it again)."""
        now = self.clock.now()
        row = InboundQueueItem(
            platform=self.platform,
            event_id=event_id,
            kind=kind,
            channel=channel,
            payload=payload,
            next_attempt_at=now,
            received_at=now,
        )
        with self.db.transaction() as session:
            return insert_unless_duplicate(session, row)

    def claim(
        self, *, lease: timedelta, limit: int = 20, event_id: str | None = None
    ) -> list[QueuedEvent]:
        """Lease due events, only the oldest pending one of each channel (edits after posts);
        with `event_id`, that event alone (if it is its channel's oldest)."""
        now = self.clock.now()
        earlier = aliased(InboundQueueItem)
        first_of_channel = ~exists().where(
            and_(
                col(earlier.platform) == col(InboundQueueItem.platform),
                col(earlier.channel) == col(InboundQueueItem.channel),
                col(earlier.state) == OutboxState.PENDING,
                col(earlier.id) < col(InboundQueueItem.id),
            )
        )
        claimed_until = col(InboundQueueItem.claimed_until)
        due = (
            select(InboundQueueItem.id)
            .where(
                InboundQueueItem.platform == self.platform,
                InboundQueueItem.state == OutboxState.PENDING,
                col(InboundQueueItem.next_attempt_at) <= now,
                claimed_until.is_(None) | (claimed_until < now),
                first_of_channel,
            )
            .order_by(col(InboundQueueItem.id))
            .limit(limit)
        )
        if event_id is not None:
            due = due.where(InboundQueueItem.event_id == event_id)
        else:  # a fresh event is its answer's to handle first; the worker takes what is left
            fresh = col(InboundQueueItem.received_at) > now - FRESH
            due = due.where(~(fresh & (col(InboundQueueItem.attempts) == 0)))
        with self.db.transaction() as session:
            due = skip_locked(session, due)
            ids = [event_id for event_id in session.exec(due) if event_id is not None]
            if not ids:
                return []
            # Claimed only if still free when updated: two claims of one process (an answer's
            # own and the worker's) may have read the same rows on SQLite.
            token = f"{self.worker}:{uuid.uuid4().hex[:12]}"
            session.exec(
                update(InboundQueueItem)
                .where(
                    col(InboundQueueItem.id).in_(ids),
                    claimed_until.is_(None) | (claimed_until < now),
                )
                .values(
                    claimed_by=token,
                    claimed_until=now + lease,
                    attempts=col(InboundQueueItem.attempts) + 1,
                )
            )
            rows = select(InboundQueueItem).where(
                col(InboundQueueItem.id).in_(ids), InboundQueueItem.claimed_by == token
            )
            return [
                QueuedEvent(
                    id=repo_id(row),
                    kind=row.kind,
                    event_id=row.event_id,
                    payload=row.payload,
                    attempts=row.attempts,
                )
                for row in session.exec(rows.order_by(col(InboundQueueItem.id)))
            ]

    def done(self, event: QueuedEvent) -> None:
        self._finish(event, state=OutboxState.DONE, error=None, retry_at=None)

    def failed(self, event: QueuedEvent, *, error: str, retry_in: float | None) -> None:
        """Try again after `retry_in` seconds; None: give up (dead, for an operator to see)."""
        retry_at = None if retry_in is None else self.clock.now() + timedelta(seconds=retry_in)
        state = OutboxState.DEAD if retry_at is None else OutboxState.PENDING
        self._finish(event, state=state, error=error, retry_at=retry_at)

    def _finish(
        self,
        event: QueuedEvent,
        *,
        state: OutboxState,
        error: str | None,
        retry_at: datetime | None,
    ) -> None:
        with self.db.transaction() as session:
            row = session.get(InboundQueueItem, event.id)
            if row is None:
                return
            row.state, row.claimed_by, row.claimed_until = state, None, None
            row.last_error = error[:2000] if error else row.last_error
            if retry_at is not None:
                row.next_attempt_at = retry_at
            session.add(row)
