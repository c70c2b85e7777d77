"""Reports for managers: the daily digest in their channel and `stats` on demand."""

from dataclasses import replace
from datetime import datetime, time

from bot.context import Context
from bot.outbox import announce
from bot.sla import SlaPolicy
from bot.stats import Summary, digest_period, render, summarize
from storage import jobs
from storage import repositories as repo
from storage.models import Ticket


class ManagerReports:
    """The daily digest for the managers' channel and `stats` on demand."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.db = ctx.db
        self.policy = SlaPolicy(ctx.config.sla, ctx.hours)

    def summary(self, start: datetime, end: datetime, *, with_status: bool = False) -> Summary:
        with self.db.transaction() as session:
            summary = summarize(
                jobs.tickets_touched_between(session, start, end),
                start=start,
                end=end,
                queued=jobs.audit_count(session, action="queue", start=start, end=end),
                alerts=jobs.sla_alerts_between(session, start, end),
                policy=self.policy,
            )
            if with_status:
                summary = replace(summary, in_status=repo.count_by(session, Ticket.status))
        return summary

    def send_digest(self) -> bool:
        """Queue the digest of the day that ended at the last digest time (once per day)."""
        now = self.ctx.clock.now()
        at = time.fromisoformat(self.ctx.config.managers.digest_time)
        start, end = digest_period(now, self.ctx.hours, at)
        text = render(self.summary(start, end), title="Pomoc daily digest", hours=self.ctx.hours)
        key = f"digest:{self.ctx.hours.local_date(end).isoformat()}"
        with self.db.transaction() as session:
            return announce(session, self.ctx.config, key=key, text=text, now=now)

    def stats(self) -> str:
        """Today so far (local midnight until now) and the tickets in progress."""
        now = self.ctx.clock.now()
        midnight = self.ctx.hours.local_instant(self.ctx.hours.local_date(now), time(0))
        summary = self.summary(midnight, now, with_status=True)
        return render(summary, title="Pomoc today", hours=self.ctx.hours)
