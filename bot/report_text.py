"""Managers' reports as text: the weekly report beside its chart, the daily digest, `stats`."""

# Plain text only: the adapters escape it like any announcement (Slack rich-text literals, Matrix
# HTML-escaped), so words from shops' titles and comments stay inert. Lines read "label: number"
# so no Polish plural forms are needed.

from collections.abc import Iterable
from datetime import datetime

from bot import catalogue as cat
from bot import report_catalogue as rcat
from bot.catalogue import Language, text
from bot.hours import SupportHours
from bot.lifecycle import Status
from bot.report_data import Report, Timing

# Statuses worth listing in `stats`: the work still in progress.
IN_PROGRESS = (Status.SUGGESTED, Status.QUEUED, Status.OPEN, Status.WAITING)
TOP_AGENTS = 10
TOP_GAPS = 5
COMMENTS = 3
SEPARATOR = " · "


def duration(minutes: float) -> str:
    """Minutes as a phone reads them quickly: "45 min", "3 h 20 min", "38 h"."""
    total = round(minutes)
    hours, rest = divmod(total, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest:02d} min" if rest else f"{hours} h"


def share(part: int, whole: int) -> str:
    """`part` as a whole percentage of `whole` ("25%"), a dash when there is no whole."""
    return f"{round(100 * part / whole)}%" if whole else "–"


def weekly_text(report: Report, *, language: Language | str, hours: SupportHours) -> str:
    """The weekly report's numbers, section by section, as the managers' channel shows them (the
    link to the managers' page goes apart, `bot.weekly.Weekly.link`, to be clickable)."""
    lines = [
        text(rcat.WEEKLY_TITLE, language, period=" – ".join(period(report, hours))),
        _totals(report, language),
        _departments(report, language),
        text(rcat.REPORT_DAYS, language) + ": " + _per_day(report, language),
        *_times(report, language),
        _capitalised(text(rcat.REPORT_BREACHES, language, count=report.breaches))
        + SEPARATOR
        + text(rcat.REPORT_OFF_HOURS, language, count=report.off_hours_handled),
        _triage(report, language),
        *_satisfaction(report, language),
        *_agents(report, language),
        *_gaps(report, language),
    ]
    return "\n".join(lines)


def daily_text(report: Report, *, language: Language | str, hours: SupportHours) -> str:
    """The daily digest: the day's totals, times, breaches and departments."""
    title = text(rcat.DIGEST_TITLE, language, period=" – ".join(_instants(report, hours)))
    return _short(title, report, language)


def stats_text(report: Report, *, language: Language | str, hours: SupportHours) -> str:
    """`stats` on demand: today so far, then the tickets in progress now."""
    title = text(rcat.STATS_TITLE, language, period=" – ".join(_instants(report, hours)))
    now = SEPARATOR.join(
        f"{cat.status_label(status, language)} {report.in_status.get(status, 0)}"
        for status in IN_PROGRESS
    )
    return _short(title, report, language) + "\n" + text(rcat.REPORT_NOW, language, statuses=now)


def _short(title: str, report: Report, language: Language | str) -> str:
    return "\n".join(
        [
            title,
            _totals(report, language)
            + SEPARATOR
            + text(rcat.REPORT_BREACHES, language, count=report.breaches),
            *_times(report, language),
            _departments(report, language),
        ]
    )


def period(report: Report, hours: SupportHours) -> tuple[str, str]:
    """The first and last local day of the period, ("16.11", "22.11.2026"), for the text and
    the chart alike; its local start and end instants when it has no days."""
    if not report.days:
        return _instants(report, hours)
    return f"{report.days[0].day:%d.%m}", f"{report.days[-1].day:%d.%m.%Y}"


def _instants(report: Report, hours: SupportHours) -> tuple[str, str]:
    def local(at: datetime) -> str:
        return f"{at.astimezone(hours.zone):%d.%m %H:%M}"

    return local(report.start), local(report.end)


def _totals(report: Report, language: Language | str) -> str:
    return text(
        rcat.REPORT_TOTALS,
        language,
        opened=report.opened,
        deflected=report.deflected,
        resolved=report.resolved,
        queued=report.queued,
    )


def _departments(report: Report, language: Language | str) -> str:
    parts = [
        text(
            rcat.REPORT_DEPARTMENT,
            language,
            name=d.department,
            opened=d.opened,
            deflected=d.deflected,
            resolved=d.resolved,
        )
        for d in report.departments
    ]
    return text(rcat.REPORT_DEPARTMENTS, language) + ": " + _joined(parts)


def _per_day(report: Report, language: Language | str) -> str:
    parts = []
    for day in report.days:
        label = f"{text(rcat.WEEKDAYS[day.day.weekday()], language)} {day.day:%d.%m}"
        if not day.working_day:
            label += " " + text(rcat.REPORT_DAY_OFF, language)
        parts.append(
            text(
                rcat.REPORT_DAY,
                language,
                day=label,
                opened=day.opened,
                deflected=day.deflected,
                resolved=day.resolved,
            )
        )
    return _joined(parts)


def _times(report: Report, language: Language | str) -> list[str]:
    lines = []
    for entry, timings in (
        (rcat.REPORT_FIRST_RESPONSE, report.first_response),
        (rcat.REPORT_RESOLUTION, report.resolution),
    ):
        parts = [_timing(t, language) for t in timings]
        lines.append(text(entry, language) + ": " + _joined(parts))
    return lines


def _timing(timing: Timing, language: Language | str) -> str:
    figures = text(
        rcat.REPORT_TIMING,
        language,
        priority=cat.priority_label(timing.priority, language),
        count=timing.count,
        median=duration(timing.median or 0),
        p90=duration(timing.p90 or 0),
    )
    if timing.target is None:
        return figures
    return (
        figures
        + " "
        + text(
            rcat.REPORT_TARGET,
            language,
            target=duration(timing.target),
            within=timing.within_target,
            count=timing.count,
            share=share(timing.within_target, timing.count),
        )
    )


def _triage(report: Report, language: Language | str) -> str:
    triage = report.triage
    return text(
        rcat.REPORT_TRIAGE,
        language,
        escalated=triage.escalated,
        reprioritised=triage.reprioritised,
        reprioritised_share=share(triage.reprioritised, triage.escalated),
        moved=triage.moved,
        moved_share=share(triage.moved, triage.escalated),
    )


def _satisfaction(report: Report, language: Language | str) -> list[str]:
    rated = report.satisfaction
    if not rated.count or rated.average is None:
        return [text(rcat.REPORT_NO_RATINGS, language)]
    average = f"{rated.average:.1f}"
    if Language(language) == Language.PL:
        average = average.replace(".", ",")
    scores = SEPARATOR.join(
        f"{score}★ {rated.by_score[score]}" for score in sorted(rated.by_score, reverse=True)
    )
    lines = [text(rcat.REPORT_RATINGS, language, average=average, count=rated.count, scores=scores)]
    lines += [f"  „{comment}”" for comment in rated.comments[:COMMENTS]]
    return lines


def _agents(report: Report, language: Language | str) -> list[str]:
    if not report.agents:
        return []
    lines = [text(rcat.REPORT_AGENTS, language) + ":"]
    for agent in report.agents[:TOP_AGENTS]:
        first = agent.median_first_response
        lines.append(
            "  "
            + text(
                rcat.REPORT_AGENT,
                language,
                name=agent.name,
                replies=agent.replies,
                resolved=agent.resolved,
                first="–" if first is None else duration(first),
            )
        )
    return lines


def _gaps(report: Report, language: Language | str) -> list[str]:
    if not report.gaps:
        return [text(rcat.REPORT_NO_GAPS, language)]
    lines = [text(rcat.REPORT_GAPS, language) + ":"]
    for gap in report.gaps[:TOP_GAPS]:
        words = gap.words or text(rcat.REPORT_GAP_NO_WORDS, language)
        examples = ", ".join(f"#{ticket}" for ticket in gap.examples)
        lines.append(
            "  "
            + text(
                rcat.REPORT_GAP,
                language,
                words=words,
                department=gap.department,
                tickets=gap.tickets,
                examples=examples,
            )
        )
    return lines


def _capitalised(line: str) -> str:
    """The first letter upper case, the rest as written ("SLA" stays)."""
    return line[:1].upper() + line[1:]


def _joined(parts: Iterable[str]) -> str:
    return SEPARATOR.join(parts) or "–"
