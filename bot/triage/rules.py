"""Department routing and criticality from a rules file, explained by the rules that fired."""

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.errors import PomocError
from bot.triage.analyzer import Analyzer
from bot.triage.kb import DEPARTMENTS
from bot.triage.search import Hit

RULES_FILE = Path(__file__).with_name("rules.yaml")

Slots = tuple[frozenset[str], ...]


class RulesError(PomocError):
    """The rules file is malformed; the message names the key."""


@dataclass(frozen=True, slots=True)
class Phrase:
    text: str  # as written in the rules file, for signals
    slots: Slots


@dataclass(frozen=True, slots=True)
class CriticalRule:
    name: str
    department: str | None
    patterns: tuple[Phrase, ...]
    unless: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Verdict:
    department: str
    critical: bool
    signals: tuple[str, ...]
    department_scores: dict[str, float]


@dataclass(frozen=True, slots=True)
class Terms:
    """One field's analyzed terms in order, and as a set for a quick "cannot match"."""

    name: str
    order: Sequence[str]
    present: frozenset[str]

    @classmethod
    def of(cls, name: str, order: Sequence[str]) -> "Terms":
        return cls(name, order, frozenset(order))


@dataclass(frozen=True, slots=True)
class Ticket:
    """A ticket's analyzed title and body terms."""

    title: Sequence[str]
    body: Sequence[str]
    fields: tuple[Terms, Terms] = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        # Built once: every rule and phrase looks at the same two fields.
        fields = (Terms.of("title", self.title), Terms.of("body", self.body))
        object.__setattr__(self, "fields", fields)


def read_rules(path: Path | None) -> dict:
    """The raw rules mapping (default: the file shipped with Pomoc)."""
    source = path or RULES_FILE
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except OSError as error:
        raise RulesError(f"cannot read triage rules {source}: {error}") from None
    except yaml.YAMLError as error:
        raise RulesError(f"{source} is not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise RulesError(f"{source} must be a mapping")
    return data


def rule_vocabulary(data: dict) -> list[str]:
    """Every phrase in the rules, so the lexicon knows their inflected forms."""
    phrases = [term for terms in data.get("departments", {}).values() for term in terms]
    phrases += [p for rule in data.get("critical", {}).values() for p in rule.get("patterns", [])]
    phrases += [p for patterns in data.get("exemptions", {}).values() for p in patterns]
    return [phrase.replace("|", " ") for phrase in phrases]


def _contains(slots: Slots, terms: Terms, *, max_gap: int) -> bool:
    """Whether the slots occur in order, at most `max_gap` other terms between neighbours."""
    # Most phrases miss a word entirely: rule them out before walking the positions.
    if any(slot.isdisjoint(terms.present) for slot in slots):
        return False
    order = terms.order
    ends = {i for i, term in enumerate(order) if term in slots[0]}
    for slot in slots[1:]:
        ends = {
            j
            for i in ends
            for j in range(i + 1, min(i + 2 + max_gap, len(order)))
            if order[j] in slot
        }
        if not ends:
            return False
    return bool(ends)


class Rules:
    def __init__(self, data: dict, *, analyzer: Analyzer) -> None:
        self._analyzer = analyzer
        try:
            self.title_weight = float(data.get("title_weight", 3))
            self.article_weight = float(data.get("article_weight", 2))
            self.critical_weight = float(data.get("critical_weight", 2))
            self.max_gap = int(data.get("max_gap", 3))
            self.fallback = self._department(data.get("fallback_department", "other"), "fallback")
            self.departments = {
                self._department(name, "departments"): tuple(self._phrase(t) for t in terms)
                for name, terms in data["departments"].items()
            }
            self.exemptions = {
                name: tuple(self._pattern(p, f"exemptions.{name}") for p in patterns)
                for name, patterns in data.get("exemptions", {}).items()
            }
            self.critical = tuple(
                self._critical(name, rule) for name, rule in data.get("critical", {}).items()
            )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise RulesError(f"invalid triage rules: {error!r}") from None

    def _department(self, name: str, key: str) -> str:
        if name not in DEPARTMENTS:
            raise RulesError(f"{key}: unknown department {name!r}")
        return name

    def _phrase(self, text: str) -> Phrase:
        slots = tuple(frozenset([term]) for term in self._analyzer.terms(str(text)))
        if not slots:
            raise RulesError(f"departments: phrase {text!r} has no words")
        return Phrase(str(text), slots)

    def _pattern(self, text: str, key: str) -> Phrase:
        slots = []
        for word in str(text).split():
            # A synonym may expand one word into several terms: any of them stands for it.
            alternatives = [self._analyzer.terms(option) for option in word.split("|")]
            if not all(alternatives):
                raise RulesError(f"{key}: {word!r} in {text!r} has an empty alternative")
            slots.append(frozenset(term for terms in alternatives for term in terms))
        return Phrase(str(text), tuple(slots))

    def _critical(self, name: str, rule: dict) -> CriticalRule:
        unless = tuple(rule.get("unless", ()))
        for exemption in unless:
            if exemption not in self.exemptions:
                raise RulesError(f"critical.{name}.unless: no exemption named {exemption!r}")
        department = rule.get("department")
        return CriticalRule(
            name=name,
            department=self._department(department, f"critical.{name}") if department else None,
            patterns=tuple(self._pattern(p, f"critical.{name}") for p in rule["patterns"]),
            unless=unless,
        )

    def _first_match(self, phrases: Sequence[Phrase], ticket: Ticket) -> tuple[str, Phrase] | None:
        for field in ticket.fields:
            for phrase in phrases:
                if _contains(phrase.slots, field, max_gap=self.max_gap):
                    return field.name, phrase
        return None

    def _exemption(self, rule: CriticalRule, ticket: Ticket) -> str | None:
        """The signal of the first exemption that overrules `rule` on this ticket, if any."""
        for name in rule.unless:
            match = self._first_match(self.exemptions[name], ticket)
            if match:
                return f"not_critical:{name}({match[0]}:{match[1].text})"
        return None

    def judge(self, ticket: Ticket, *, best: Hit | None, confidence: float) -> Verdict:
        """Decide criticality, then the department from title/body terms, rules and the article."""
        signals: list[str] = []
        votes: dict[str, list[tuple[float, str]]] = {name: [] for name in self.departments}
        for rule in self.critical:
            fired = self._first_match(rule.patterns, ticket)
            if fired is None:
                continue
            exemption = self._exemption(rule, ticket)
            if exemption:
                signals += [f"overruled:{rule.name}({fired[0]})", exemption]
                continue
            signals.append(f"critical:{rule.name}({fired[0]})")
            if rule.department:
                votes[rule.department].append((self.critical_weight, f"rule:{rule.name}"))
        critical = any(signal.startswith("critical:") for signal in signals)
        for department, phrases in self.departments.items():
            for field in ticket.fields:
                weight = self.title_weight if field.name == "title" else 1.0
                votes[department] += [
                    (weight, f"{field.name}:{phrase.text}")
                    for phrase in phrases
                    if _contains(phrase.slots, field, max_gap=0)
                ]
        if best is not None and confidence > 0:
            vote = (self.article_weight * confidence, f"article:{best.article.id}")
            votes[best.article.department].append(vote)
        scores = {name: sum(weight for weight, _ in cast) for name, cast in votes.items()}
        winner = max(scores, key=scores.__getitem__)
        if scores[winner] <= 0:
            winner = self.fallback
            signals.append(f"department:{winner}(fallback)")
        signals += [f"department:{winner}({reason})" for _, reason in votes.get(winner, [])]
        return Verdict(
            department=winner,
            critical=critical,
            signals=tuple(signals),
            department_scores={k: round(v, 2) for k, v in scores.items() if v > 0},
        )
