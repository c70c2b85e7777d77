"""Support hours: when agents work, how much of their time lies between two instants, and when."""

# Pure functions of the configuration and instants. Intervals are computed on local wall-clock times
# converted to UTC, so a DST change (last Sunday of March/October) never shifts opening hours.

from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import Protocol
from zoneinfo import ZoneInfo

import holidays

from bot.config import SupportHoursConfig

# Polish needs "we" before "wtorek" ("we wtorek od 8:00").
ON_WEEKDAY_PL = (
    "w poniedziałek",
    "we wtorek",
    "w środę",
    "w czwartek",
    "w piątek",
    "w sobotę",
    "w niedzielę",
)
# How far ahead to look for a working day before deciding the configuration has none.
SEARCH_DAYS = 400


class Calendar(Protocol):
    """Counts the minutes an SLA clock runs for; SupportHours and WallClock implement it."""

    def support_minutes_between(self, start: datetime, end: datetime) -> float: ...

    def deadline(self, start: datetime, minutes: float) -> datetime: ...


class WallClock:
    """A calendar that never closes: critical tickets are handled on weekends and at night too."""

    def support_minutes_between(self, start: datetime, end: datetime) -> float:
        return max(0.0, (end - start).total_seconds() / 60)

    def deadline(self, start: datetime, minutes: float) -> datetime:
        return start + timedelta(minutes=minutes)


class SupportHours:
    def __init__(self, config: SupportHoursConfig) -> None:
        self.zone = ZoneInfo(config.timezone)
        self.working_days = frozenset(config.working_days)
        self.opens = time.fromisoformat(config.opens)
        self.closes = time.fromisoformat(config.closes)
        self.country = config.holidays_country
        self.extra_closed = frozenset(date.fromisoformat(day) for day in config.extra_closed_days)

    @cached_property
    def _holidays(self) -> holidays.HolidayBase | dict[date, str]:
        return holidays.country_holidays(self.country) if self.country else {}

    def is_working_day(self, day: date) -> bool:
        return (
            day.weekday() in self.working_days
            and day not in self._holidays
            and day not in self.extra_closed
        )

    def holiday_name(self, day: date) -> str | None:
        return self._holidays.get(day)

    def local_date(self, at: datetime) -> date:
        return at.astimezone(self.zone).date()

    def local_instant(self, day: date, at: time) -> datetime:
        """`at` o'clock on `day` in the support time zone, as a UTC instant."""
        return datetime.combine(day, at, self.zone).astimezone(UTC)

    def open_period(self, day: date) -> tuple[datetime, datetime] | None:
        """The [opening, closing) instants of `day`, or None when support is closed all day."""
        if not self.is_working_day(day):
            return None
        return self.local_instant(day, self.opens), self.local_instant(day, self.closes)

    def is_open(self, at: datetime) -> bool:
        period = self.open_period(self.local_date(at))
        return period is not None and period[0] <= at < period[1]

    def next_opening(self, at: datetime) -> datetime:
        """The first instant at or after `at` when support is open (UTC)."""
        day = self.local_date(at)
        for _ in range(SEARCH_DAYS):
            period = self.open_period(day)
            if period is not None and at < period[1]:
                return max(at, period[0])
            day += timedelta(days=1)
        raise ValueError("no working day within a year: check support_hours")

    def next_closing(self, at: datetime) -> datetime:
        """When the open period containing `at` ends (`at` must be within support hours)."""
        return self.local_instant(self.local_date(at), self.closes)

    def support_minutes_between(self, start: datetime, end: datetime) -> float:
        """Minutes of support hours in [start, end); 0 when `end` is not after `start`."""
        total = 0.0
        day, last = self.local_date(start), self.local_date(end)
        while day <= last:
            period = self.open_period(day)
            if period is not None:
                overlap = min(end, period[1]) - max(start, period[0])
                total += max(0.0, overlap.total_seconds() / 60)
            day += timedelta(days=1)
        return total

    def deadline(self, start: datetime, minutes: float) -> datetime:
        """The instant when `minutes` of support hours have passed since `start`."""
        at = self.next_opening(start)
        left = timedelta(minutes=minutes)
        while True:
            closing = self.next_closing(at)
            if at + left <= closing:
                return at + left
            left -= closing - at
            at = self.next_opening(closing)

    def describe_opening(self, opening: datetime, now: datetime) -> str:
        """Polish words for when a queued ticket will be answered: "jutro od 8:00"."""
        local = opening.astimezone(self.zone)
        today = self.local_date(now)
        hour = f"{local.hour}:{local.minute:02d}"
        if local.date() == today:
            return f"dziś od {hour}"
        if local.date() == today + timedelta(days=1):
            return f"jutro od {hour}"
        return f"{ON_WEEKDAY_PL[local.weekday()]} ({local:%d.%m}) od {hour}"
