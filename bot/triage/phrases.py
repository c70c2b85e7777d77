"""Phrases written in the rules file, matched in order against a ticket's analysed terms."""

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from bot.errors import PomocError
from bot.triage.analyzer import Analyzer
from bot.triage.text import SENTENCE_END

Slots = tuple[frozenset[str], ...]


class RulesError(PomocError):
    """The rules file is malformed; the message names the key."""


@dataclass(frozen=True, slots=True)
class Phrase:
    text: str  # as written in the rules file, for signals
    slots: Slots


@dataclass(frozen=True, slots=True)
class Terms:
    """One field's analysed terms in order, and as a set for a quick "cannot match"."""

    name: str
    order: Sequence[str]
    present: frozenset[str]

    @classmethod
    def of(cls, name: str, order: Sequence[str]) -> "Terms":
        return cls(name, order, frozenset(order))


@dataclass(frozen=True, slots=True)
class Ticket:
    """A ticket's analysed title and body terms."""

    title: Sequence[str]
    body: Sequence[str]
    fields: tuple[Terms, Terms] = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        # Built once: every rule and phrase looks at the same two fields.
        fields = (Terms.of("title", self.title), Terms.of("body", self.body))
        object.__setattr__(self, "fields", fields)


def compile_pattern(text: str, key: str, *, analyzer: Analyzer) -> Phrase:
    """`a|b c` -> slots: any analysed term of `a` or `b`, then `c`."""
    slots = []
    for word in str(text).split():
        # A synonym may expand one word into several terms: any of them stands for it.
        alternatives = [analyzer.terms(option) for option in word.split("|")]
        if not all(alternatives):
            raise RulesError(f"{key}: {word!r} in {text!r} has an empty alternative")
        slots.append(frozenset(term for terms in alternatives for term in terms))
    if not slots:
        raise RulesError(f"{key}: a pattern has no words")
    return Phrase(str(text), tuple(slots))


def compile_patterns(data: object, key: str, *, analyzer: Analyzer) -> tuple[Phrase, ...]:
    if not isinstance(data, list):
        raise RulesError(f"{key}: must be a list of patterns")
    return tuple(compile_pattern(str(p), key, analyzer=analyzer) for p in data)


def find(slots: Slots, terms: Terms, *, max_gap: int) -> tuple[int, int] | None:
    """The first (start, end) where the slots occur in order, at most `max_gap` terms apart."""
    # Most phrases miss a word entirely: rule them out before walking the positions.
    if any(slot.isdisjoint(terms.present) for slot in slots):
        return None
    order = terms.order
    # Each partial match: position of its last slot -> where it started (latest start wins,
    # so the span is the tightest one ending there).
    ends = {i: i for i, term in enumerate(order) if term in slots[0]}
    for slot in slots[1:]:
        advanced: dict[int, int] = {}
        for i, start in ends.items():
            for j in range(i + 1, min(i + 2 + max_gap, len(order))):
                if order[j] == SENTENCE_END:
                    break
                if order[j] in slot:
                    advanced[j] = max(start, advanced.get(j, start))
        if not advanced:
            return None
        ends = advanced
    end = min(ends)
    return ends[end], end


def contains(slots: Slots, terms: Terms, *, max_gap: int) -> bool:
    return find(slots, terms, max_gap=max_gap) is not None


def vocabulary(phrases: Sequence[object]) -> list[str]:
    """The words of patterns, so the lexicon knows their inflected forms."""
    return [str(p).replace("|", " ") for p in phrases]
