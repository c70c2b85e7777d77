"""What the core measures as it works (response, relay, triage and delivery times): a port."""

# The core says what happened and how long it took; an edge decides where it goes (Prometheus
# histograms in `adapters/panel/histograms.py`). Measurements are taken after the transaction
# that made them true commits (`storage.db.after_commit`), so a retried transaction counts once.

from typing import Protocol

from bot.clock import Timer
from bot.triage import Triager, TriageResult
from bot.views import Suggestion
from bot.vocabulary import Platform


class Telemetry(Protocol):
    def first_response(self, seconds: float) -> None:
        """A ticket got its first agent reply, `seconds` (wall clock) after it was opened."""

    def relayed(self, platform: Platform, seconds: float) -> None:
        """An agent's chat message was stored as a reply for the shop, `seconds` after the
        platform stamped it."""

    def triaged(self, seconds: float) -> None:
        """The triager assessed a new ticket in `seconds`."""

    def delivered(self, platform: Platform, seconds: float) -> None:
        """An outbox item reached its platform, `seconds` after it was queued."""


class NoTelemetry:
    """Measures nothing: a context built outside `build_core` (a benchmark) serves no `/metrics`."""

    def first_response(self, seconds: float) -> None:
        pass

    def relayed(self, platform: Platform, seconds: float) -> None:
        pass

    def triaged(self, seconds: float) -> None:
        pass

    def delivered(self, platform: Platform, seconds: float) -> None:
        pass


class TimedTriager:
    """A triager whose every assessment is timed (the ticket service never sees the timer)."""

    def __init__(self, inner: Triager, *, telemetry: Telemetry, timer: Timer) -> None:
        self.inner = inner
        self.telemetry = telemetry
        self.timer = timer

    def assess(self, *, title: str, body: str) -> TriageResult:
        started = self.timer.monotonic()
        result = self.inner.assess(title=title, body=body)
        self.telemetry.triaged(self.timer.monotonic() - started)
        return result

    def article(self, article_id: str) -> Suggestion | None:
        return self.inner.article(article_id)
