"""Support hours: when agents work, and when a queued ticket will be answered.

Pure functions of the configuration and an instant; Polish public holidays come from `holidays`.
"""

from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import holidays

from bot.config import SupportHoursConfig

WEEKDAYS_PL = ("poniedziałek", "wtorek", "środę", "czwartek", "piątek", "sobotę", "niedzielę")


class SupportHours:
    def __init__(self, config: SupportHoursConfig) -> None:
        self.zone = ZoneInfo(config.timezone)
        self.working_days = frozenset(config.working_days)
        self.opens = time.fromisoformat(config.opens)
        self.closes = time.fromisoformat(config.closes)
        self.country = config.holidays_country
        self.extra_closed = frozenset(date.fromisoformat(day) for day in config.extra_closed_days)

    @cached_property
    def _holidays(self) -> holidays.HolidayBase:
        return holidays.country_holidays(self.country)

    def is_working_day(self, day: date) -> bool:
        return (
            day.weekday() in self.working_days
            and day not in self._holidays
            and day not in self.extra_closed
        )

    def holiday_name(self, day: date) -> str | None:
        return self._holidays.get(day)

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(self.zone)
        return self.is_working_day(local.date()) and self.opens <= local.time() < self.closes

    def next_opening(self, at: datetime) -> datetime:
        """The first instant at or after `at` when support is open (UTC)."""
        if self.is_open(at):
            return at
        local = at.astimezone(self.zone)
        day = local.date()
        if local.time() >= self.opens:
            day += timedelta(days=1)
        for _ in range(400):
            if self.is_working_day(day):
                return datetime.combine(day, self.opens, self.zone).astimezone(UTC)
            day += timedelta(days=1)
        raise ValueError("no working day within a year: check support_hours")

    def next_closing(self, at: datetime) -> datetime:
        """When the open period containing `at` ends (`at` must be within support hours)."""
        local = at.astimezone(self.zone)
        return datetime.combine(local.date(), self.closes, self.zone).astimezone(UTC)

    def describe_opening(self, opening: datetime, now: datetime) -> str:
        """Polish words for when a queued ticket will be answered: "jutro od 8:00"."""
        local = opening.astimezone(self.zone)
        today = now.astimezone(self.zone).date()
        hour = f"{local.hour}:{local.minute:02d}"
        if local.date() == today:
            return f"dziś od {hour}"
        if local.date() == today + timedelta(days=1):
            return f"jutro od {hour}"
        return f"w {WEEKDAYS_PL[local.weekday()]} ({local:%d.%m}) od {hour}"
