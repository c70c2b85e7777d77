"""What a delivery's outcome changes: links recorded, retries scheduled, blocks, re-opened roots."""

import logging
import uuid
from datetime import timedelta

from sqlmodel import Session

from bot.channels import ChannelHealth
from bot.context import Context
from bot.errors import BLOCKING, DeliveryError, Failure
from bot.outbox import (
    OpenThread,
    Payload,
    Posted,
    PostMessage,
    Result,
    RetryPolicy,
    RootUpdated,
    ThreadOpened,
    new_item,
    result_record,
)
from bot.vocabulary import ChannelId, OutboxState
from storage import delivery
from storage.models import BlockedChannel, MessageLink, OutboxItem, ThreadLink

log = logging.getLogger(__name__)

REOPENED = "Poprzedni wątek tego zgłoszenia został usunięty: rozmowa toczy się dalej tutaj."


def describe(item: OutboxItem) -> str:
    """How every log line names a delivery: its key, ticket, department and channel."""
    return (
        f"delivery {item.idempotency_key} (ticket {item.ticket_id}, department "
        f"{item.department or '-'}, {item.platform} {item.channel})"
    )


class Outcomes:
    def __init__(self, ctx: Context, retry: RetryPolicy) -> None:
        self.ctx = ctx
        self.retry = retry
        self.health = ChannelHealth(ctx, retry)

    @staticmethod
    def _pending_row(session: Session, item: OutboxItem) -> OutboxItem | None:
        """The item's row, its lease released; None when it is no longer pending."""
        row = session.get(OutboxItem, item.id)
        if row is None or row.state != OutboxState.PENDING:
            return None
        row.claimed_by = row.claimed_until = None
        session.add(row)
        return row

    def done(self, item: OutboxItem, payload: Payload, result: Result) -> None:
        """`payload`: the item's, as the dispatcher decoded it for the delivery."""
        now = self.ctx.clock.now()
        with self.ctx.db.transaction() as session:
            row = self._pending_row(session, item)
            if row is None:
                return
            row.state, row.delivered_at, row.result = OutboxState.DONE, now, result_record(result)
            self._record(session, row, payload, result)
            self.health.working(session, platform=row.platform, channel=row.channel)

    def _record(self, session: Session, item: OutboxItem, payload: Payload, result: Result) -> None:
        now = self.ctx.clock.now()
        match result, payload:
            case ThreadOpened(thread_id, root_id, False, digest, notice), _ if item.ticket_id:
                session.add(
                    ThreadLink(
                        ticket_id=item.ticket_id,
                        platform=item.platform,
                        channel=item.channel,
                        thread_id=thread_id,
                        root_message_id=root_id,
                        root_digest=digest,
                        notice=notice,
                        created_at=now,
                    )
                )
            case RootUpdated(digest=digest), _ if digest and item.ticket_id:
                delivery.remember_root(session, item.ticket_id, item.platform, digest=digest)
            case Posted(external_id), PostMessage(message_id):
                session.add(
                    MessageLink(
                        message_id=message_id,
                        platform=item.platform,
                        channel=item.channel,
                        external_id=external_id,
                        created_at=now,
                    )
                )

    def failed(self, item: OutboxItem, error: DeliveryError) -> None:
        now = self.ctx.clock.now()
        with self.ctx.db.transaction() as session:
            row = self._pending_row(session, item)
            if row is None:
                return
            row.last_error = str(error)[:2000]
            if error.failure in BLOCKING:
                # Refused before anything was posted: not an attempt that counts towards giving
                # up, and the next one is no retry of a post that might have gone through.
                row.attempts = max(0, row.attempts - 1)
                row.next_attempt_at = now
                self.health.blocked(
                    session, platform=row.platform, channel=row.channel, error=error
                )
            elif error.failure == Failure.THREAD_GONE and row.ticket_id is not None:
                self._reopen(session, row, error)
            elif error.permanent or self.retry.exhausted(row.attempts):
                row.state = OutboxState.DEAD
                log.error("%s gave up after %d attempts: %s", describe(row), row.attempts, error)
                self.health.gave_up(session, row, error)
            else:
                wait = error.retry_after
                if wait is None:
                    wait = self.retry.backoff(row.attempts)
                row.next_attempt_at = now + timedelta(seconds=wait)
                log.warning(
                    "%s failed (attempt %d), retry in %.1fs: %s",
                    describe(row),
                    row.attempts,
                    wait,
                    error,
                )

    def _reopen(self, session: Session, failed: OutboxItem, error: DeliveryError) -> None:
        """The root was deleted: a new root for the ticket, saying so, then the undelivered rest.

        The waiting items are queued again behind the new root (same order, fresh keys: none of
        them reached the platform) and the old ones are marked replaced."""
        assert failed.ticket_id is not None
        ticket_id, platform = failed.ticket_id, failed.platform
        delivery.forget_thread(session, ticket_id, platform)
        waiting = delivery.pending_of_ticket(session, ticket_id, platform)
        suffix = uuid.uuid4().hex[:8]
        opening = new_item(
            (platform, ChannelId(failed.channel)),
            OpenThread(note=REOPENED),
            key=f"open:{ticket_id}:{suffix}",
            now=self.ctx.clock.now(),
            ticket_id=ticket_id,
            department=failed.department,
        )
        delivery.enqueue(session, opening)
        for old in waiting:
            old.state = OutboxState.REPLACED
            old.result = {"replaced_by": opening.idempotency_key}
            session.add(old)
            delivery.enqueue(
                session, delivery.copy_item(old, key=f"{old.idempotency_key}:{suffix}")
            )
        log.warning(
            "%s: the root was deleted (%s); a new root is opened and %d item(s) follow it",
            describe(failed),
            error.code,
            len(waiting),
        )

    def probe_worked(self, block: BlockedChannel) -> None:
        with self.ctx.db.transaction() as session:
            self.health.working(session, platform=block.platform, channel=block.channel)

    def probe_failed(self, block: BlockedChannel, error: DeliveryError) -> None:
        """Still broken (or the probe itself failed): try again later, on the capped backoff."""
        with self.ctx.db.transaction() as session:
            if error.failure not in BLOCKING:  # e.g. a timeout: say nothing new, try later
                error = DeliveryError(str(error), failure=Failure.CHANNEL, code=block.code)
            self.health.blocked(
                session, platform=block.platform, channel=block.channel, error=error
            )
