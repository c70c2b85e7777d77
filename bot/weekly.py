"""The weekly report for the managers' channel: last week's figures as text and a chart, queued
once per ISO week."""

from dataclasses import dataclass
from datetime import datetime

from bot import catalogue as cat
from bot import report_catalogue as rcat
from bot.charts import alt_text, weekly_chart
from bot.context import Context
from bot.digest import ManagerReports
from bot.housekeeping import delete_unused_files
from bot.outbox import Picture, announce
from bot.report_data import Report
from bot.report_text import weekly_text
from bot.reports import last_week
from bot.views import LinkView


@dataclass(frozen=True, slots=True)
class Weekly:
    """One week's report as the managers' channel gets it."""

    week: str  # the ISO week reported, e.g. "2026-W48"
    report: Report
    text: str
    link: LinkView  # a fresh signed link to the managers' page (its figures, 7 or 30 days, CSV)
    chart: bytes  # PNG
    alt_text: str

    @property
    def key(self) -> str:
        """The outbox key: one report per week, however often the job runs."""
        return f"weekly:{self.week}"

    @property
    def filename(self) -> str:
        # Unique per week: a retried Slack upload recognises its earlier copy by it.
        return f"pomoc-{self.week}.png"


def prepare(ctx: Context, now: datetime) -> Weekly:
    """The report of the last full Monday-to-Sunday week (local time) before `now`."""
    start, end = last_week(now, ctx.hours)
    year, week, _ = ctx.hours.local_date(start).isocalendar()
    report = ManagerReports(ctx).weekly_report(start, end)
    language = ctx.config.chat.language
    return Weekly(
        week=f"{year}-W{week:02d}",
        report=report,
        text=weekly_text(report, language=language, hours=ctx.hours),
        link=LinkView(ctx.agent_links.managers_url(now), cat.text(rcat.REPORT_PAGE, language)),
        chart=weekly_chart(report, language=language, hours=ctx.hours),
        alt_text=alt_text(report, language=language, hours=ctx.hours),
    )


def queue(ctx: Context, weekly: Weekly) -> bool:
    """Queue the report for the managers' channel; False when it was queued before (this week's
    key is used) or no managers' channel is configured."""
    # The chart is stored before the item that names it commits, so the item never points at
    # nothing; when no item was queued, nothing needs the file (a delivered week's was deleted).
    storage_key, _ = ctx.files.save(weekly.chart)
    picture = Picture(storage_key, weekly.filename, weekly.alt_text)
    now = ctx.clock.now()
    with ctx.db.transaction() as session:
        queued = announce(
            session,
            ctx.config,
            key=weekly.key,
            text=weekly.text,
            now=now,
            picture=picture,
            link=weekly.link,
        )
    if not queued:
        delete_unused_files(ctx, {storage_key})
    return queued


def send_weekly(ctx: Context) -> bool:
    """The scheduled job: last week's report, queued once."""
    return queue(ctx, prepare(ctx, ctx.clock.now()))
