"""Department routing and criticality from a rules file, explained by the rules that fired."""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.triage.analyzer import Analyzer
from bot.triage.decision import Firing, Weights
from bot.triage.features import Features
from bot.triage.kb import DEPARTMENTS
from bot.triage.phrases import (
    Phrase,
    RulesError,
    Ticket,
    compile_pattern,
    contains,
    find,
    vocabulary,
)

__all__ = ["CriticalRule", "Firing", "Rules", "RulesError", "Ticket", "read_rules"]

RULES_FILE = Path(__file__).with_name("rules.yaml")


@dataclass(frozen=True, slots=True)
class CriticalRule:
    name: str
    department: str | None
    patterns: tuple[Phrase, ...]
    unless: tuple[str, ...]


def read_rules(path: Path | None) -> dict[str, Any]:
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
    rules: dict[str, Any] = data
    return rules


def rule_vocabulary(data: dict[str, Any]) -> list[str]:
    """Every phrase in the rules, so the lexicon knows their inflected forms."""
    phrases = [term for terms in data.get("departments", {}).values() for term in terms]
    phrases += [p for rule in data.get("critical", {}).values() for p in rule.get("patterns", [])]
    phrases += [p for patterns in data.get("exemptions", {}).values() for p in patterns]
    features = data.get("features", {})
    phrases += [p for groups in features.values() for patterns in groups.values() for p in patterns]
    return vocabulary(phrases)


class Rules:
    """Everything `rules.yaml` says: routing phrases, critical rules, exemptions, features."""

    def __init__(self, data: dict[str, Any], *, analyzer: Analyzer) -> None:
        self._analyzer = analyzer
        try:
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
            self.features = Features(data, analyzer=analyzer, max_gap=self.max_gap)
            self.weights = Weights.read(data)
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
        return compile_pattern(text, key, analyzer=self._analyzer)

    def _critical(self, name: str, rule: dict[str, Any]) -> CriticalRule:
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
        """The first phrase found in the title, then the body, unless a negation voids it."""
        for field in ticket.fields:
            for phrase in phrases:
                span = find(phrase.slots, field, max_gap=self.max_gap)
                if span is not None and not self.features.negated(phrase, field, span):
                    return field.name, phrase
        return None

    def _exemption(self, rule: CriticalRule, ticket: Ticket) -> str | None:
        """The signal of the first exemption that overrules `rule` on this ticket, if any."""
        for name in rule.unless:
            match = self._first_match(self.exemptions[name], ticket)
            if match:
                return f"not_critical:{name}({match[0]}:{match[1].text})"
        return None

    def firings(self, ticket: Ticket) -> tuple[Firing, ...]:
        """Every critical rule that matches the ticket, overruled or not."""
        found = []
        for rule in self.critical:
            fired = self._first_match(rule.patterns, ticket)
            if fired is not None:
                found.append(
                    Firing(rule.name, rule.department, fired[0], self._exemption(rule, ticket))
                )
        return tuple(found)

    def department_votes(self, ticket: Ticket) -> dict[str, list[tuple[float, str]]]:
        """Routing phrases found in the title (weighted up) and the body, by department."""
        votes: dict[str, list[tuple[float, str]]] = {name: [] for name in self.departments}
        for department, phrases in self.departments.items():
            for field in ticket.fields:
                weight = self.weights.title if field.name == "title" else 1.0
                votes[department] += [
                    (weight, f"{field.name}:{phrase.text}")
                    for phrase in phrases
                    if contains(phrase.slots, field, max_gap=0)
                ]
        return votes
