"""Per-shop request limits (reads, follow-ups) in a sliding window, with the real time to wait."""

# Kept in the process, not the database: a read must not cost a write. With several instances
# each one allows the limit, which still stops a flood from one shop. Written here rather than
# taken from a library so that tests drive it with the fake clock (bot.clock.Timer).

from collections import deque
from dataclasses import dataclass

from bot.clock import SystemTimer, Timer
from bot.config import PanelConfig
from bot.errors import RateLimited


class SlidingWindow:
    """At most `limit` hits per key in any `window` seconds."""

    def __init__(
        self, *, limit: int, window: float, timer: Timer | None = None, keys: int = 100_000
    ) -> None:
        self.limit = limit
        self.window = window
        self.timer = timer or SystemTimer()
        self.keys = keys
        self._hits: dict[str, deque[float]] = {}

    def wait(self, key: str) -> float:
        """Count a hit and return 0, or return the seconds until one is allowed (not counted)."""
        now = self.timer.monotonic()
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) >= self.keys:
                self._forget_idle(now)
            hits = self._hits[key] = deque()
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            return hits[0] + self.window - now
        hits.append(now)
        return 0.0

    def check(self, key: str, *, kind: str) -> None:
        """Count a hit, or raise `RateLimited` saying how long to wait."""
        wait = self.wait(key)
        if wait > 0:
            raise RateLimited(f"{kind} {key}", retry_after=wait, kind=kind)

    def _forget_idle(self, now: float) -> None:
        idle = [k for k, hits in self._hits.items() if not hits or hits[-1] <= now - self.window]
        for key in idle:
            del self._hits[key]
        if len(self._hits) >= self.keys:  # every key busy: start over rather than grow
            self._hits.clear()


@dataclass(frozen=True)
class ShopLimits:
    """The per-shop windows the API checks: reads (GETs, read marks) and follow-ups."""

    reads: SlidingWindow
    messages: SlidingWindow

    @classmethod
    def from_config(cls, config: PanelConfig, *, timer: Timer | None = None) -> "ShopLimits":
        return cls(
            reads=SlidingWindow(limit=config.max_reads_per_minute, window=60, timer=timer),
            messages=SlidingWindow(limit=config.max_messages_per_minute, window=60, timer=timer),
        )
