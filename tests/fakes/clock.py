"""A clock the test moves by hand."""

from datetime import UTC, datetime, timedelta


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        # Default: Wednesday 2026-11-25 10:00 Warsaw, inside support hours.
        self.current = start or datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def set(self, value: datetime) -> None:
        self.current = value

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current
