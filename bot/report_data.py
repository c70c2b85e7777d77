"""What managers' reports say, as plain values: computed in `bot.reports`, shown as text, charts,
the managers' page and CSV."""

from dataclasses import dataclass, field
from datetime import date, datetime

from bot.vocabulary import Priority

# Every duration below is in minutes of the SLA clock: support hours for most priorities, the
# wall clock for those in `[sla] wall_clock_priorities` (critical by default).


@dataclass(frozen=True, slots=True)
class DayCounts:
    """One local calendar day of the period."""

    day: date
    opened: int
    deflected: int  # resolved by an article, no agent involved
    resolved: int  # resolved by support (deflected ones not included)
    working_day: bool  # false on weekends and public holidays


@dataclass(frozen=True, slots=True)
class DepartmentCounts:
    department: str
    opened: int
    deflected: int
    resolved: int


@dataclass(frozen=True, slots=True)
class Timing:
    """First response or resolution times of one priority's tickets in the period."""

    priority: Priority
    count: int
    median: float | None
    p90: float | None
    target: int | None  # the SLA target in minutes, None when the priority has none
    within_target: int  # how many of `count` met it


@dataclass(frozen=True, slots=True)
class AgentFigures:
    """One agent's work in the period (managers only)."""

    name: str
    replies: int
    resolved: int
    median_first_response: float | None  # of the tickets this agent answered first


@dataclass(frozen=True, slots=True)
class Satisfaction:
    """Shops' ratings (1-5) given or changed in the period (see bot/reports.py)."""

    count: int
    average: float | None
    by_score: dict[int, int]  # 1..5 -> how many, every score present
    comments: tuple[str, ...] = ()  # the newest first, shop text: render it inert


@dataclass(frozen=True, slots=True)
class KnowledgeGap:
    """Tickets no article answered, grouped by their most frequent folded title words."""

    words: str  # e.g. "przelewy24 konfiguracja" (folded: lower case, no diacritics)
    department: str
    tickets: int
    examples: tuple[int, ...]  # ticket ids, newest first


@dataclass(frozen=True, slots=True)
class TriageQuality:
    """How often agents corrected triage: the share of escalated tickets re-prioritised or
    moved to another department."""

    escalated: int
    reprioritised: int
    moved: int


@dataclass(frozen=True, slots=True)
class Report:
    start: datetime
    end: datetime
    opened: int
    deflected: int
    resolved: int
    days: tuple[DayCounts, ...]
    departments: tuple[DepartmentCounts, ...]  # the busiest first
    first_response: tuple[Timing, ...]  # one per priority with tickets, critical first
    resolution: tuple[Timing, ...]
    breaches: int  # first SLA breach alerts raised in the period (repeats not counted)
    off_hours_handled: int  # tickets an agent answered or resolved on a weekend or holiday
    triage: TriageQuality
    satisfaction: Satisfaction
    agents: tuple[AgentFigures, ...] = ()  # the most replies first
    gaps: tuple[KnowledgeGap, ...] = ()  # the most tickets first
    queued: int = 0  # tickets queued until support hours
    in_status: dict[str, int] = field(default_factory=dict)  # work in progress now, for `stats`
