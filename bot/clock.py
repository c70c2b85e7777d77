"""Time is injected: production reads the system clock, tests move a fake one."""

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class TravellingClock:
    """The system clock moved to another instant (the scripted demo plays a Saturday)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def travel_to(self, instant: datetime) -> None:
        self.offset = instant - datetime.now(UTC)
