"""A clock the test moves by hand; it also stands in for the monotonic timer (`bot.clock.Timer`)."""

from datetime import UTC, datetime, timedelta


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        # Default: Wednesday 2026-11-25 10:00 Warsaw, inside support hours.
        self.current = start or datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
        self.slept: list[float] = []

    def now(self) -> datetime:
        return self.current

    def set(self, value: datetime) -> None:
        self.current = value

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current

    def monotonic(self) -> float:
        return self.current.timestamp()

    async def sleep(self, seconds: float) -> None:
        """Waiting takes no real time: the clock jumps ahead."""
        self.slept.append(seconds)
        self.current += timedelta(seconds=seconds)
