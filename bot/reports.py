"""The figures of a managers' report over a period: SQL counts, SLA minutes, agents, gaps."""

# Counting follows the instant each thing happened: a ticket counts as opened on the local day it
# was created, as resolved (or deflected) on the day it was resolved, its first response in the
# period it was first answered. Resolution times leave auto-resolves out (the wait is the shop's
# silence, not support's work) though they count as resolved. Satisfaction counts the ratings
# given (or changed) in the period, as ratings arrive after the resolve; a rating changed later
# moves, with its new score, out of the earlier period into the later one.

import math
import statistics
from collections.abc import Sequence
from datetime import datetime, time, timedelta

from sqlmodel import Session

from bot.context import Context
from bot.hours import SupportHours
from bot.knowledge_gaps import GapTicket, group_gaps
from bot.report_data import (
    AgentFigures,
    DayCounts,
    DepartmentCounts,
    KnowledgeGap,
    Report,
    Satisfaction,
    Timing,
    TriageQuality,
)
from bot.sla import FIRST_RESPONSE, RESOLUTION, SlaPolicy
from bot.vocabulary import Priority
from storage import jobs
from storage import reports as queries

SCORES = (1, 2, 3, 4, 5)
COMMENT_CHARS = 200  # a comment as the report quotes it: one line, cut with an ellipsis


def last_week(now: datetime, hours: SupportHours) -> tuple[datetime, datetime]:
    """The last full ISO week before `now`: Monday 00:00 to Monday 00:00 local time (167 or 169
    hours when it holds a DST change)."""
    today = hours.local_date(now)
    monday = today - timedelta(days=today.weekday())
    return (
        hours.local_instant(monday - timedelta(days=7), time(0)),
        hours.local_instant(monday, time(0)),
    )


def digest_period(now: datetime, hours: SupportHours, at: time) -> tuple[datetime, datetime]:
    """The day ending at the latest `at` o'clock (local) not after `now`; 23 or 25 h across DST."""
    today = hours.local_date(now)
    end = hours.local_instant(today, at)
    if end > now:
        today -= timedelta(days=1)
        end = hours.local_instant(today, at)
    return hours.local_instant(today - timedelta(days=1), at), end


def day_edges(start: datetime, end: datetime, hours: SupportHours) -> list[datetime]:
    """`start`, each local midnight after it and before `end`, then `end`: the days' bounds."""
    edges = [start]
    day = hours.local_date(start) + timedelta(days=1)
    while (midnight := hours.local_instant(day, time(0))) < end:
        edges.append(midnight)
        day += timedelta(days=1)
    return [*edges, end]


def collect(ctx: Context, *, start: datetime, end: datetime) -> Report:
    """Everything a report shows about [start, end)."""
    policy = SlaPolicy(ctx.config.sla, ctx.hours)
    edges = day_edges(start, end, ctx.hours)
    with ctx.db.transaction() as session:
        days, departments = _counts(session, edges, ctx.hours)
        answered = queries.first_responses(session, start, end)
        first_response = {t: _wait(policy, p, a, b) for t, p, a, b in answered}
        first_by = queries.first_responders(session, start, end)
        agents = _agents(
            queries.replies_by_agent(session, start, end),
            queries.resolves_by_agent(session, start, end),
            {t: (first_by[t], m) for t, m in first_response.items() if t in first_by},
        )
        return Report(
            start=start,
            end=end,
            opened=sum(d.opened for d in days),
            deflected=sum(d.deflected for d in days),
            resolved=sum(d.resolved for d in days),
            days=days,
            departments=departments,
            first_response=_timings(
                policy,
                FIRST_RESPONSE,
                [(p, first_response[t]) for t, p, _, _ in answered],
            ),
            resolution=_timings(
                policy,
                RESOLUTION,
                [
                    (p, _wait(policy, p, a, b))
                    for p, a, b in queries.resolutions(session, start, end)
                ],
            ),
            breaches=queries.first_breaches(session, start, end),
            off_hours_handled=queries.tickets_handled_within(
                session, _closed_days(edges, ctx.hours)
            ),
            triage=TriageQuality(*queries.triage_corrections(session, start, end)),
            satisfaction=_satisfaction(queries.ratings(session, start, end)),
            agents=agents,
            gaps=gaps(session, start, end),
            queued=jobs.audit_count(session, action="queue", start=start, end=end),
        )


def gaps(
    session: Session, start: datetime, end: datetime, *, department: str | None = None
) -> tuple[KnowledgeGap, ...]:
    """The knowledge gaps of the tickets opened in [start, end)."""
    rows = queries.knowledge_gaps(session, start, end, department=department)
    return group_gaps([GapTicket(*row) for row in rows])


def _counts(
    session: Session, edges: list[datetime], hours: SupportHours
) -> tuple[tuple[DayCounts, ...], tuple[DepartmentCounts, ...]]:
    size = len(edges) - 1
    opened, deflected, resolved = [0] * size, [0] * size, [0] * size
    by_department: dict[str, list[int]] = {}
    for department, day, n in queries.opened_counts(session, edges):
        opened[day] += n
        by_department.setdefault(department, [0, 0, 0])[0] += n
    for department, day, was_deflected, n in queries.resolved_counts(session, edges):
        (deflected if was_deflected else resolved)[day] += n
        by_department.setdefault(department, [0, 0, 0])[1 if was_deflected else 2] += n
    days = tuple(
        DayCounts(
            day=(local := hours.local_date(edges[i])),
            opened=opened[i],
            deflected=deflected[i],
            resolved=resolved[i],
            working_day=hours.is_working_day(local),
        )
        for i in range(size)
    )
    departments = tuple(
        DepartmentCounts(name, *figures)
        for name, figures in sorted(by_department.items(), key=lambda kv: (-kv[1][0], kv[0]))
    )
    return days, departments


def _wait(policy: SlaPolicy, priority: Priority, start: datetime, end: datetime) -> float:
    return policy.calendar(priority).support_minutes_between(start, end)


def _timings(
    policy: SlaPolicy, kind: str, waits: Sequence[tuple[Priority, float]]
) -> tuple[Timing, ...]:
    """One Timing per priority with tickets, in the vocabulary's order (critical first)."""
    timings = []
    for priority in Priority:
        minutes = sorted(m for p, m in waits if p == priority)
        if not minutes:
            continue
        target = policy.target_minutes(kind, priority)
        timings.append(
            Timing(
                priority=priority,
                count=len(minutes),
                median=statistics.median(minutes),
                p90=p90(minutes),
                target=target,
                within_target=sum(m <= target for m in minutes) if target is not None else 0,
            )
        )
    return tuple(timings)


def p90(values: Sequence[float]) -> float | None:
    """The nearest-rank 90th percentile: a wait some ticket really had, 10% waited longer."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def _closed_days(edges: list[datetime], hours: SupportHours) -> list[tuple[datetime, datetime]]:
    """The parts of the period on weekends and public holidays (local dates)."""
    return [
        (edges[i], edges[i + 1])
        for i in range(len(edges) - 1)
        if not hours.is_working_day(hours.local_date(edges[i]))
    ]


def _agents(
    replies: dict[str, int], resolves: dict[str, int], first: dict[int, tuple[str, float]]
) -> tuple[AgentFigures, ...]:
    waits: dict[str, list[float]] = {}
    for name, minutes in first.values():
        waits.setdefault(name, []).append(minutes)
    figures = [
        AgentFigures(
            name=name,
            replies=replies.get(name, 0),
            resolved=resolves.get(name, 0),
            median_first_response=statistics.median(waits[name]) if name in waits else None,
        )
        for name in {*replies, *resolves}
    ]
    return tuple(sorted(figures, key=lambda a: (-a.replies, -a.resolved, a.name)))


def _satisfaction(rows: list[tuple[int, str | None]]) -> Satisfaction:
    scores = [score for score, _ in rows]
    return Satisfaction(
        count=len(scores),
        average=statistics.fmean(scores) if scores else None,
        by_score={score: scores.count(score) for score in SCORES},
        comments=tuple(_quoted(c) for _, c in rows if c and c.strip()),
    )


def _quoted(comment: str) -> str:
    """A shop's comment on one short line: its newlines would otherwise pass for the report's own
    lines in the weekly text, the page and the CSV alike."""
    flat = " ".join(comment.split())
    return flat if len(flat) <= COMMENT_CHARS else flat[: COMMENT_CHARS - 1].rstrip() + "…"
