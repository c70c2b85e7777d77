"""Reports for managers: the daily digest in their channel, `stats` on demand, the weekly
report's figures."""

from dataclasses import replace
from datetime import datetime, time

from bot import reports
from bot.context import Context
from bot.outbox import announce
from bot.report_data import Report
from bot.report_text import daily_text, stats_text
from storage import repositories as repo
from storage.models import Ticket


class ManagerReports:
    """The daily digest for the managers' channel, `stats` on demand, the weekly figures."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.db = ctx.db

    @property
    def language(self) -> str:
        return self.ctx.config.chat.language

    def weekly_report(self, start: datetime, end: datetime) -> Report:
        return reports.collect(self.ctx, start=start, end=end)

    def send_digest(self) -> bool:
        """Queue the digest of the day that ended at the last digest time (once per day)."""
        now = self.ctx.clock.now()
        at = time.fromisoformat(self.ctx.config.managers.digest_time)
        start, end = reports.digest_period(now, self.ctx.hours, at)
        report = reports.collect(self.ctx, start=start, end=end)
        text = daily_text(report, language=self.language, hours=self.ctx.hours)
        key = f"digest:{self.ctx.hours.local_date(end).isoformat()}"
        with self.db.transaction() as session:
            return announce(session, self.ctx.config, key=key, text=text, now=now)

    def stats(self) -> str:
        """Today so far (local midnight until now) and the tickets in progress."""
        now = self.ctx.clock.now()
        midnight = self.ctx.hours.local_instant(self.ctx.hours.local_date(now), time(0))
        report = reports.collect(self.ctx, start=midnight, end=now)
        with self.db.transaction() as session:
            report = replace(report, in_status=repo.count_by(session, Ticket.status))
        return stats_text(report, language=self.language, hours=self.ctx.hours)
