"""Time is injected: production reads the system clock, tests move a fake one."""

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class Timer(Protocol):
    """Elapsed time and waiting, for pacing and caches (never for what the database records)."""

    def monotonic(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class SystemTimer:
    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class TravellingClock:
    """The system clock moved to another instant (the scripted demo plays a Saturday)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def travel_to(self, instant: datetime) -> None:
        self.offset = instant - datetime.now(UTC)
