"""A keyword triager for tests of the ticket core that must not depend on the search engine."""

from bot.triage import TriageResult
from bot.views import Suggestion

P24 = Suggestion(
    article_id="p24-crc",
    title="Przelewy24: klucz CRC",
    url="https://selesto.pl/pomoc/p24-crc",
    score=3.2,
)


class KeywordTriager:
    """`awaria` in the text makes a ticket critical; `p24` brings a Przelewy24 suggestion."""

    def assess(self, *, title: str, body: str) -> TriageResult:
        text = f"{title} {body}".lower()
        critical = "awaria" in text
        suggestions = (P24,) if "p24" in text else ()
        department = "payments" if "p24" in text or "platnos" in text else "other"
        signals = ("critical:awaria",) if critical else ()
        return TriageResult(
            department=department,
            critical=critical,
            suggestions=suggestions,
            signals=signals,
            confidence=0.9 if suggestions else 0.0,
        )

    def article(self, article_id: str) -> Suggestion | None:
        return P24 if article_id == P24.article_id else None
