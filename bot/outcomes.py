"""What a delivery's outcome changes: links recorded, retries scheduled, blocks, re-opened roots."""

import logging
from datetime import timedelta

from sqlmodel import Session

from bot.channels import ChannelHealth
from bot.context import Context
from bot.errors import BLOCKING, DeliveryError, Failure
from bot.housekeeping import delete_unused_files
from bot.outbox import (
    Announce,
    LeaveThread,
    OpenThread,
    Payload,
    Posted,
    PostMessage,
    Result,
    RetryPolicy,
    RootUpdated,
    ThreadOpened,
    chat_target,
    new_item,
    result_record,
)
from bot.vocabulary import ChannelId, Operation, OutboxState
from storage import delivery
from storage.db import after_commit
from storage.models import BlockedChannel, MessageLink, OutboxItem, ThreadLink, Ticket

log = logging.getLogger(__name__)

REOPENED = "Poprzedni wątek tego zgłoszenia został usunięty: rozmowa toczy się dalej tutaj."


def sent(result: Result) -> bool:
    """Whether the platform was called for it (a skipped root update or a thread opened
    before a crash are done without a delivery now)."""
    match result:
        case RootUpdated(superseded=True) | RootUpdated(unchanged=True):
            return False
        case ThreadOpened(existing=True):
            return False
    return True


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
            if sent(result):
                waited = (now - row.created_at).total_seconds()
                after_commit(session, lambda: self.ctx.telemetry.delivered(row.platform, waited))
        self._release_picture(payload)

    def _release_picture(self, payload: Payload) -> None:
        """A delivered announcement's picture is needed no more: its file goes, after the
        commit that marked the item done, unless something else stores the same bytes."""
        if isinstance(payload, Announce) and payload.picture is not None:
            delete_unused_files(self.ctx, {payload.picture.storage_key})

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
            case Posted(external_id), (
                PostMessage(message_id=message_id) | LeaveThread(message_id=message_id)
            ):
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
            elif error.failure == Failure.THREAD_GONE and row.operation == Operation.LEAVE_THREAD:
                row.state = OutboxState.DONE  # the thread the ticket left is gone: none to tell
            elif error.failure == Failure.THREAD_GONE and row.ticket_id is not None:
                self._reopen(session, row, error)
            elif error.failure == Failure.MOVED and row.ticket_id is not None:
                self._follow_ticket(session, row)
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
        """The root was deleted: a new root for the ticket, saying so, then the undelivered rest,
        queued again behind it."""
        assert failed.ticket_id is not None
        ticket_id, platform = failed.ticket_id, failed.platform
        delivery.forget_thread(session, ticket_id, platform)
        waiting = delivery.pending_of_ticket(session, ticket_id, platform)
        here = (platform, ChannelId(failed.channel))
        opening = new_item(
            here,
            OpenThread(note=REOPENED),
            key=delivery.requeued_key(f"open:{ticket_id}"),
            now=self.ctx.clock.now(),
            ticket_id=ticket_id,
            department=failed.department,
        )
        delivery.enqueue(session, opening)
        followed = delivery.requeue_behind(
            session, waiting, opening=opening, to=here, department=failed.department
        )
        log.warning(
            "%s: the root was deleted (%s); a new root is opened and %d item(s) follow it",
            describe(failed),
            error.code,
            followed,
        )

    def _follow_ticket(self, session: Session, misplaced: OutboxItem) -> None:
        """The ticket moved away after the item was queued (a move committed meanwhile): it and
        what waits behind it in the same channel go where the ticket is now."""
        assert misplaced.ticket_id is not None
        ticket = session.get(Ticket, misplaced.ticket_id)
        assert ticket is not None  # the dispatcher found it; a purge leaves the row (a tombstone)
        waiting = [
            item
            for item in delivery.pending_of_ticket(session, misplaced.ticket_id, misplaced.platform)
            if item.channel == misplaced.channel
        ]
        to = chat_target(session, ticket, self.ctx.config)
        delivery.requeue_behind(session, waiting, opening=None, to=to, department=ticket.department)
        log.warning("%s: the ticket moved away; it follows to %s", describe(misplaced), to)

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
