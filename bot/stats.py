"""Numbers for managers over a period, and their text: pure functions of rows and instants."""

import statistics
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from bot.hours import SupportHours
from bot.lifecycle import Status
from bot.sla import BREACH, SlaPolicy
from storage.models import SlaAlert, Ticket

# Statuses worth listing in `stats`: the work still in progress.
IN_PROGRESS = (Status.SUGGESTED, Status.QUEUED, Status.OPEN, Status.WAITING)


@dataclass(frozen=True)
class Summary:
    start: datetime
    end: datetime
    opened: int
    resolved: int
    deflected: int
    queued: int
    breaches: int
    median_first_response: float | None  # minutes of the SLA clock (support hours)
    by_department: dict[str, int]
    in_status: dict[str, int] = field(default_factory=dict)


def summarize(
    tickets: list[Ticket],
    *,
    start: datetime,
    end: datetime,
    queued: int,
    alerts: list[SlaAlert],
    policy: SlaPolicy,
) -> Summary:
    """Count what happened in [start, end); `tickets` may hold rows from outside it."""

    def within(at: datetime | None) -> bool:
        return at is not None and start <= at < end

    opened = [t for t in tickets if within(t.created_at)]
    resolved = [t for t in tickets if within(t.resolved_at)]
    waits = [
        policy.calendar(t.priority).support_minutes_between(t.created_at, t.first_response_at)
        for t in tickets
        if t.first_response_at is not None and within(t.first_response_at)
    ]
    departments: dict[str, int] = {}
    for ticket in opened:
        departments[ticket.department] = departments.get(ticket.department, 0) + 1
    return Summary(
        start=start,
        end=end,
        opened=len(opened),
        resolved=sum(not t.deflected for t in resolved),
        deflected=sum(t.deflected for t in resolved),
        queued=queued,
        # Repeats of an alert are not new breaches.
        breaches=sum(a.stage == BREACH and a.seq == 1 and within(a.created_at) for a in alerts),
        median_first_response=statistics.median(waits) if waits else None,
        by_department=dict(sorted(departments.items(), key=lambda kv: (-kv[1], kv[0]))),
    )


def digest_period(now: datetime, hours: SupportHours, at: time) -> tuple[datetime, datetime]:
    """The day ending at the latest `at` o'clock (local) not after `now`; 23 or 25 h across DST."""
    today = hours.local_date(now)
    end = hours.local_instant(today, at)
    if end > now:
        today -= timedelta(days=1)
        end = hours.local_instant(today, at)
    return hours.local_instant(today - timedelta(days=1), at), end


def render(summary: Summary, *, title: str, hours: SupportHours) -> str:
    def local(at: datetime) -> str:
        return f"{at.astimezone(hours.zone):%d.%m %H:%M}"

    median = summary.median_first_response
    lines = [
        f"{title} ({local(summary.start)} – {local(summary.end)})",
        f"Opened {summary.opened} · resolved {summary.resolved} · deflected "
        f"{summary.deflected} · queued off hours {summary.queued} · SLA breaches "
        f"{summary.breaches}",
        "Median first response: "
        + ("–" if median is None else f"{round(median)} min of support time"),
        "By department: "
        + (", ".join(f"{name} {n}" for name, n in summary.by_department.items()) or "–"),
    ]
    if summary.in_status:
        now = ", ".join(f"{s} {summary.in_status.get(s, 0)}" for s in IN_PROGRESS)
        lines.append(f"Now: {now}")
    return "\n".join(lines)
