"""Scope (who is affected), cause (who changed what) and intent, as named, explainable features."""

from collections.abc import Mapping
from dataclasses import dataclass

from bot.triage.analyzer import Analyzer
from bot.triage.phrases import Phrase, RulesError, Terms, Ticket, compile_patterns, find

# The features the decision knows how to weigh; the rules file fills in their phrases.
FEATURES = (
    "scope:one",  # one customer, one order, one device or one product; the rest work
    "scope:all",  # every customer, order or product; nothing sells
    "cause:owner",  # the owner changed it: own DNS, template, script, CSV import, keys
    "cause:platform",  # the owner denies changing anything, or blames the platform's update
    "intent:howto",  # a question how to do something
    "intent:wish",  # a feature request
)


@dataclass(frozen=True, slots=True)
class Feature:
    name: str  # one of FEATURES
    group: str  # which list of the rules file matched, e.g. "import"
    field: str  # title or body
    words: str  # the analysed words that matched

    @property
    def signal(self) -> str:
        return f"{self.name}({self.group}, {self.field}:{self.words})"


@dataclass(frozen=True, slots=True)
class _Group:
    feature: str
    name: str
    phrases: tuple[Phrase, ...]


class Features:
    """Finds the features of a ticket; a phrase right after a negation counts as its opposite.

    "nic nie zmieniałem w szablonie" is no owner edit but a denial: the owner says the cause
    is elsewhere. Phrases that begin with a negation themselves ("żaden klient") stay as they are.
    """

    def __init__(self, data: Mapping[str, object], *, analyzer: Analyzer, max_gap: int) -> None:
        self.max_gap = max_gap
        raw = data.get("features") or {}
        if not isinstance(raw, dict):
            raise RulesError("features: must map feature names to groups of patterns")
        unknown = sorted(set(raw) - set(FEATURES))
        if unknown:
            raise RulesError(f"features: unknown feature(s) {', '.join(unknown)}")
        self._groups = tuple(
            _Group(
                feature,
                str(name),
                compile_patterns(p, f"features.{feature}.{name}", analyzer=analyzer),
            )
            for feature, groups in raw.items()
            for name, p in dict(groups).items()
        )
        negators = data.get("negators") or []
        if not isinstance(negators, list):
            raise RulesError("negators: must be a list of words")
        self.negators = frozenset(t for word in negators for t in analyzer.terms(str(word)))
        self.negation_window = int(str(data.get("negation_window", 2)))
        exceptions = data.get("exceptions") or {}
        if not isinstance(exceptions, dict) or not set(exceptions) <= set(FEATURES):
            raise RulesError("exceptions: must map feature names to lists of words")
        self.exceptions = {
            name: frozenset(t for word in words for t in analyzer.terms(str(word)))
            for name, words in exceptions.items()
        }
        # A denied owner change is the owner saying "not me": evidence for the platform.
        self.opposite = {"cause:owner": "cause:platform"}

    def negated(self, phrase: Phrase, terms: Terms, span: tuple[int, int]) -> bool:
        """A negation just before or inside a phrase that has none of its own."""
        return _near(self.negators, phrase, terms, span, window=self.negation_window)

    def _excepted(self, feature: str, phrase: Phrase, terms: Terms, span: tuple[int, int]) -> bool:
        words = self.exceptions.get(feature, frozenset())
        return bool(words) and _near(words, phrase, terms, span, window=self.negation_window)

    def _match(self, group: _Group, terms: Terms) -> tuple[Phrase, tuple[int, int]] | None:
        for phrase in group.phrases:
            span = find(phrase.slots, terms, max_gap=self.max_gap)
            if span is not None:
                return phrase, span
        return None

    def of(self, ticket: Ticket) -> tuple[Feature, ...]:
        """Every feature with the first phrase that shows it, at most one per group."""
        found: list[Feature] = []
        for group in self._groups:
            for terms in ticket.fields:
                match = self._match(group, terms)
                if match is None:
                    continue
                phrase, (start, end) = match
                name = group.feature
                if self._excepted(name, phrase, terms, (start, end)):
                    name = ""
                elif self.negated(phrase, terms, (start, end)):
                    name = self.opposite.get(name, "")
                if name:
                    words = " ".join(terms.order[start : end + 1])
                    found.append(Feature(name, group.name, terms.name, words))
                break
        return tuple(found)


def _near(
    words: frozenset[str], phrase: Phrase, terms: Terms, span: tuple[int, int], *, window: int
) -> bool:
    """Whether one of `words` is inside the span or just before it (and not in the phrase)."""
    if any(not slot.isdisjoint(words) for slot in phrase.slots):
        return False
    start, end = span
    return not words.isdisjoint(terms.order[max(0, start - window) : end + 1])


def names(features: tuple[Feature, ...]) -> frozenset[str]:
    return frozenset(feature.name for feature in features)
