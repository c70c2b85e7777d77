"""The managers' report as CSV: one row per figure, safe to open in a spreadsheet."""

# Long format (section, item, measure, value) under one header row, so a spreadsheet filters
# and pivots it without knowing the report's layout. Polish spreadsheets expect `;` between
# cells and a decimal comma; the byte-order mark makes Excel read the file as UTF-8.

import csv
import io
from collections.abc import Iterator

from bot import catalogue as cat
from bot import report_catalogue as rcat
from bot.catalogue import Language, text
from bot.report_data import Report, Timing
from bot.report_text import SEPARATOR

Value = int | float | str | None
Row = tuple[str, str, str, Value]
# Spreadsheets run a cell that starts with one of these as a formula (CSV injection): names,
# department words and shops' comments are untrusted text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def neutralised(cell: str) -> str:
    """The cell as a spreadsheet shows it literally: a leading apostrophe stops a formula."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def number(value: Value, language: Language | str) -> str:
    """Integers as they are, fractions to one decimal (a comma in Polish), none as empty."""
    if value is None:
        return ""
    if isinstance(value, float):
        shown = f"{value:.1f}"
        return shown.replace(".", ",") if Language(language) == Language.PL else shown
    return str(value)


def to_csv(report: Report, language: Language | str) -> str:
    polish = Language(language) == Language.PL
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if polish else ",", lineterminator="\r\n")
    writer.writerow([text(column, language) for column in rcat.MANAGERS_CSV_COLUMNS])
    for section, item, measure, value in rows(report, language):
        cells = (section, item, measure, number(value, language))
        writer.writerow([neutralised(cell) for cell in cells])
    return BOM + buffer.getvalue()


def rows(report: Report, language: Language | str) -> Iterator[Row]:
    """Every figure of the report, section by section as the page shows them."""

    def say(entry: cat.Entry, **values: object) -> str:
        return text(entry, language, **values)

    summary = say(rcat.MANAGERS_SUMMARY)
    yield summary, "", say(rcat.CHART_OPENED), report.opened
    yield summary, "", say(rcat.CHART_DEFLECTED), report.deflected
    yield summary, "", say(rcat.CHART_RESOLVED), report.resolved
    yield summary, "", say(rcat.MANAGERS_QUEUED), report.queued
    yield summary, "", say(rcat.MANAGERS_BREACHES), report.breaches
    yield summary, "", say(rcat.MANAGERS_OFF_HOURS), report.off_hours_handled
    days = say(rcat.CHART_DAYS)
    for day in report.days:
        when = day.day.isoformat()
        yield days, when, say(rcat.CHART_OPENED), day.opened
        yield days, when, say(rcat.CHART_DEFLECTED), day.deflected
        yield days, when, say(rcat.CHART_RESOLVED), day.resolved
        yield days, when, say(rcat.CHART_DAY_OFF), int(not day.working_day)
    departments = say(rcat.REPORT_DEPARTMENTS)
    for department in report.departments:
        yield departments, department.department, say(rcat.CHART_OPENED), department.opened
        yield departments, department.department, say(rcat.CHART_DEFLECTED), department.deflected
        yield departments, department.department, say(rcat.CHART_RESOLVED), department.resolved
    yield from _timings(say(rcat.REPORT_FIRST_RESPONSE), report.first_response, language)
    yield from _timings(say(rcat.REPORT_RESOLUTION), report.resolution, language)
    yield from _satisfaction(report, language)
    triage = say(rcat.MANAGERS_TRIAGE)
    yield triage, "", say(rcat.MANAGERS_ESCALATED), report.triage.escalated
    yield triage, "", say(rcat.MANAGERS_REPRIORITISED), report.triage.reprioritised
    yield triage, "", say(rcat.MANAGERS_MOVED), report.triage.moved
    agents = say(rcat.REPORT_AGENTS)
    for agent in report.agents:
        yield agents, agent.name, say(rcat.MANAGERS_REPLIES), agent.replies
        yield agents, agent.name, say(rcat.MANAGERS_RESOLVED), agent.resolved
        yield agents, agent.name, in_minutes(say(rcat.MANAGERS_FIRST)), agent.median_first_response
    gaps = say(rcat.REPORT_GAPS)
    for gap in report.gaps:
        item = f"{gap.words or say(rcat.REPORT_GAP_NO_WORDS)}{SEPARATOR}{gap.department}"
        yield gaps, item, say(rcat.MANAGERS_TICKETS), gap.tickets
        yield gaps, item, say(rcat.MANAGERS_EXAMPLES), " ".join(f"#{id_}" for id_ in gap.examples)


def in_minutes(measure: str) -> str:
    """The measure's name with its unit: times are minutes of the SLA clock."""
    return f"{measure}, min"


def _timings(section: str, timings: tuple[Timing, ...], language: Language | str) -> Iterator[Row]:
    for timing in timings:
        item = cat.priority_label(timing.priority, language)
        yield section, item, text(rcat.MANAGERS_TICKETS, language), timing.count
        yield section, item, in_minutes(text(rcat.CHART_MEDIAN, language)), timing.median
        yield section, item, in_minutes(text(rcat.CHART_P90, language)), timing.p90
        yield section, item, in_minutes(text(rcat.CHART_TARGET_LINE, language)), timing.target
        yield section, item, text(rcat.MANAGERS_WITHIN, language), timing.within_target


def _satisfaction(report: Report, language: Language | str) -> Iterator[Row]:
    section = text(rcat.MANAGERS_SATISFACTION, language)
    ratings = report.satisfaction
    yield section, "", text(rcat.MANAGERS_TICKETS, language), ratings.count
    yield section, "", text(rcat.MANAGERS_AVERAGE, language), ratings.average
    for score, count in sorted(ratings.by_score.items(), reverse=True):
        label = text(rcat.MANAGERS_SCORE, language, score=score)
        yield section, label, text(rcat.MANAGERS_TICKETS, language), count
    for comment in ratings.comments:
        yield section, "", text(rcat.MANAGERS_COMMENT, language), comment
