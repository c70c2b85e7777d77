"""Triage: help-center suggestions, criticality and routing of a new ticket."""

from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.views import Suggestion


@dataclass(frozen=True, slots=True)
class TriageResult:
    department: str
    critical: bool
    suggestions: tuple[Suggestion, ...] = ()
    # Which rules fired, e.g. "critical:checkout_error(title)", so agents see why.
    signals: tuple[str, ...] = ()
    confidence: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


class Triager(Protocol):
    def assess(self, *, title: str, body: str) -> TriageResult: ...

    def article(self, article_id: str) -> Suggestion | None:
        """A help-center article by id, for `!article <id>`."""


# Imported last: the engine builds TriageResult, defined above.
from bot.triage.engine import HelpCenterTriager, build_triager  # noqa: E402

__all__ = ["HelpCenterTriager", "TriageResult", "Triager", "build_triager"]
