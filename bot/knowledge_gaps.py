"""Knowledge gaps: tickets no article answered, grouped by the title words they share."""

# Owners' titles are 2-3 words typed fast: no diacritics, typos, inflections, "przelewy 24" for
# "przelewy24". Words are folded, the triage's synonyms and stopwords applied, words that only
# describe a failure ("nie dziala", "blad") dropped, and each spelling mapped to a more frequent
# one within a small edit distance (the triage's typo threshold), so `prezlewy24`, `platnosci`
# and `platnosc` count as one word. Groups are then picked greedily: the word most tickets share,
# narrowed by a second word when most of them share that too; a title no other ticket shares is
# a group of its own.

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from rapidfuzz import fuzz, process

from bot.report_data import KnowledgeGap
from bot.triage.analyzer import Language
from bot.triage.text import fold, words

# Words that say something went wrong but not about what: every department's titles have them.
SYMPTOMS = frozenset(
    {
        "dziala", "dzialac", "dzialaja", "blad", "bledy", "bledu", "bledem", "error", "awaria",
        "pomocy", "pomoc", "prosba", "sprawa", "help", "pilne", "pilnie", "zgloszenie",
    }
)  # fmt: skip
# As in the triage's typo correction: shorter words have too many one-letter neighbours.
MIN_FUZZY_LENGTH = 5
FUZZY_CUTOFF = 82.0
MIN_LENGTH = 3  # "a", "w", "24" alone name no topic
EXAMPLES = 5


@dataclass(frozen=True, slots=True)
class GapTicket:
    """A ticket no article answered (newest first when given in order)."""

    id: int
    department: str
    title: str


@dataclass(frozen=True)
class _Vocabulary:
    stopwords: frozenset[str]
    phrases: dict[tuple[str, ...], tuple[str, ...]]  # folded synonym phrase -> its words
    known: frozenset[str]  # spellings the triage's vocabulary uses: preferred to a typo
    longest: int  # words in the longest phrase


@cache
def _vocabulary() -> _Vocabulary:
    language = Language.load()
    phrases = {
        tuple(words(phrase)): tuple(w for value in values for w in words(value))
        for phrase, values in language.synonyms.items()
    }
    known = frozenset(w for entry in language.vocabulary() for w in words(entry))
    stopwords = frozenset(fold(word) for word in language.stopwords)
    longest = max((len(phrase) for phrase in phrases), default=1)
    return _Vocabulary(stopwords, phrases, known, longest)


def title_words(title: str) -> list[str]:
    """The folded words of a title that may name its topic, synonyms applied, in order."""
    vocabulary = _vocabulary()
    tokens = words(title)
    found: list[str] = []
    index = 0
    while index < len(tokens):
        for size in range(min(vocabulary.longest, len(tokens) - index), 0, -1):
            replaced = vocabulary.phrases.get(tuple(tokens[index : index + size]))
            if replaced is not None:
                found += replaced
                index += size
                break
        else:
            found.append(tokens[index])
            index += 1
    kept = [w for w in found if _names_topic(w, vocabulary.stopwords)]
    return list(dict.fromkeys(kept))


def _names_topic(word: str, stopwords: frozenset[str]) -> bool:
    if len(word) < MIN_LENGTH or word.isdigit() or word in stopwords or word in SYMPTOMS:
        return False
    return len(word) < MIN_FUZZY_LENGTH or _similar(word, SYMPTOMS) is None


def _similar(word: str, choices: Iterable[str]) -> str | None:
    match = process.extractOne(word, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
    return None if match is None else str(match[0])


def canonical_spellings(titles: Iterable[Sequence[str]]) -> dict[str, str]:
    """Each word -> the most frequent spelling within a typo of it (itself when none); of two
    as frequent, the one the triage's vocabulary knows."""
    known = _vocabulary().known
    frequency = Counter(word for title in titles for word in set(title))
    chosen: list[str] = []
    mapping: dict[str, str] = {}
    for word, _ in sorted(frequency.items(), key=lambda kv: (-kv[1], kv[0] not in known, kv[0])):
        near = None
        if len(word) >= MIN_FUZZY_LENGTH:
            near = _similar(word, [c for c in chosen if len(c) >= MIN_FUZZY_LENGTH])
        if near is None:
            chosen.append(word)
        mapping[word] = near or word
    return mapping


def group_gaps(tickets: Sequence[GapTicket]) -> tuple[KnowledgeGap, ...]:
    """The gaps per department, the most tickets first (then department and words)."""
    titles = {ticket.id: title_words(ticket.title) for ticket in tickets}
    spelling = canonical_spellings(titles.values())
    terms = {
        ticket_id: list(dict.fromkeys(spelling[w] for w in found))
        for ticket_id, found in titles.items()
    }
    departments: dict[str, list[GapTicket]] = {}
    for ticket in tickets:
        departments.setdefault(ticket.department, []).append(ticket)
    gaps = [
        gap
        for department, members in departments.items()
        for gap in _department_gaps(department, members, terms)
    ]
    return tuple(sorted(gaps, key=lambda g: (-g.tickets, g.department, g.words)))


def _department_gaps(
    department: str, tickets: list[GapTicket], terms: dict[int, list[str]]
) -> list[KnowledgeGap]:
    def gap(label: Sequence[str], members: list[GapTicket]) -> KnowledgeGap:
        examples = tuple(t.id for t in members[:EXAMPLES])
        return KnowledgeGap(" ".join(label), department, len(members), examples)

    gaps: list[KnowledgeGap] = []
    left = list(tickets)
    while left:
        shared = Counter(word for ticket in left for word in terms[ticket.id])
        top = min(shared.items(), key=lambda kv: (-kv[1], kv[0]), default=None)
        if top is None or top[1] < 2:
            break
        word = top[0]
        members = [t for t in left if word in terms[t.id]]
        label = [word, *_narrowing(word, members, terms)]
        members = [t for t in members if all(w in terms[t.id] for w in label)]
        # In the order the newest title has them: "zmiana logo", not "logo zmiana".
        label.sort(key=terms[members[0].id].index)
        gaps.append(gap(label, members))
        taken = {t.id for t in members}
        left = [t for t in left if t.id not in taken]
    # Titles no other ticket shares a word with: each its own gap, named by its first words.
    alone: dict[tuple[str, ...], list[GapTicket]] = {}
    for ticket in left:
        alone.setdefault(tuple(terms[ticket.id][:2]), []).append(ticket)
    return gaps + [gap(label, members) for label, members in alone.items()]


def _narrowing(word: str, members: list[GapTicket], terms: dict[int, list[str]]) -> list[str]:
    """A second word most of the group shares (at least two tickets), else nothing."""
    others = Counter(w for t in members for w in terms[t.id] if w != word)
    best = min(others.items(), key=lambda kv: (-kv[1], kv[0]), default=None)
    if best is None or best[1] < 2 or best[1] * 2 < len(members):
        return []
    return [best[0]]
