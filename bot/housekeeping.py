"""Retention: auto-resolve silent waiting tickets, purge old resolved ones, prune the audit log."""

# The cut-offs are pure (`Cutoffs.at`); `Housekeeper` applies them in small batches.

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot import texts
from bot.config import RetentionConfig
from bot.context import Context
from bot.lifecycle import Action, Status
from bot.outbox import enqueue_post, enqueue_root_update
from bot.ticketing import bot_says, transition
from bot.vocabulary import SYSTEM
from storage import jobs
from storage import repositories as repo

log = logging.getLogger(__name__)

BATCH = 100


@dataclass(frozen=True)
class Cutoffs:
    """Rows older than these instants are due for their retention step."""

    auto_resolve: datetime  # waiting tickets silent since then are resolved
    purge: datetime  # tickets resolved before then are purged
    audit: datetime  # audit entries (and SLA alert records) before then are deleted

    @classmethod
    def at(cls, now: datetime, config: RetentionConfig) -> "Cutoffs":
        return cls(
            auto_resolve=now - timedelta(days=config.auto_resolve_waiting_days),
            purge=now - timedelta(days=config.resolved_days),
            audit=now - timedelta(days=config.audit_days),
        )


@dataclass(frozen=True)
class Swept:
    auto_resolved: int = 0
    purged: int = 0
    files_deleted: int = 0
    audit_deleted: int = 0


def delete_unused_files(ctx: Context, keys: set[str]) -> int:
    """Delete the files under `keys` that no attachment or upload uses; returns how many.

    Call it after the rows that let go of them are committed, never inside their transaction:
    a rollback would leave rows whose bytes are gone. Files are content-addressed, so another
    ticket's attachment (or an upload) may have the same content."""
    if not keys:
        return 0
    with ctx.db.transaction() as session:
        unused = [key for key in sorted(keys) if not jobs.storage_key_in_use(session, key)]
    for key in unused:
        ctx.files.delete(key)
    return len(unused)


class Housekeeper:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.db = ctx.db

    def run(self) -> Swept:
        """Every retention step once, as the hourly job does."""
        cutoffs = Cutoffs.at(self.ctx.clock.now(), self.ctx.config.retention)
        resolved = self.auto_resolve(cutoffs.auto_resolve)
        purged, files = self.purge(cutoffs.purge)
        files += self.forget_dropped_pictures()
        return Swept(resolved, purged, files, self.prune(cutoffs.audit))

    def auto_resolve(self, before: datetime) -> int:
        now = self.ctx.clock.now()
        days = self.ctx.config.retention.auto_resolve_waiting_days
        done = 0
        while True:
            with self.db.transaction() as session:
                batch = jobs.quiet_tickets(
                    session, status=Status.WAITING, before=before, limit=BATCH
                )
                for ticket in batch:
                    transition(session, ticket, Action.RESOLVE, actor=SYSTEM, now=now, auto=True)
                    told = bot_says(
                        session,
                        ticket,
                        texts.AUTO_RESOLVED.format(days=days),
                        kind="auto_resolved",
                        now=now,
                        ctx=self.ctx,
                    )
                    enqueue_post(session, ticket, told, config=self.ctx.config, now=now)
                    enqueue_root_update(session, ticket, config=self.ctx.config, now=now)
            done += len(batch)
            if len(batch) < BATCH:
                return done

    def purge(self, before: datetime) -> tuple[int, int]:
        """Purge tickets resolved before `before`; returns (tickets, files deleted)."""
        now = self.ctx.clock.now()
        tickets = files = 0
        while True:
            keys: set[str] = set()
            with self.db.transaction() as session:
                batch = jobs.resolved_before(session, before=before, limit=BATCH)
                for ticket in batch:
                    transition(session, ticket, Action.PURGE, actor=SYSTEM, now=now)
                    keys |= jobs.delete_ticket_content(session, repo.row_id(ticket))
                    # The row stays as a tombstone (ids, dates, department for reports);
                    # what the shop wrote goes.
                    ticket.title, ticket.body, ticket.order_url = "", "", None
                    ticket.triage, ticket.unread, ticket.due_at = {}, False, None
                    session.add(ticket)
            files += delete_unused_files(self.ctx, keys)
            tickets += len(batch)
            if len(batch) < BATCH:
                return tickets, files

    def forget_dropped_pictures(self) -> int:
        """Delete the files of pictures whose announcement an operator dropped."""
        with self.db.transaction() as session:
            keys = jobs.dropped_pictures(session)
        return delete_unused_files(self.ctx, {k for k in keys if self.ctx.files.path(k).exists()})

    def prune(self, before: datetime) -> int:
        with self.db.transaction() as session:
            jobs.prune_sla_alerts(session, before=before)
            return jobs.prune_audit(session, before=before)
