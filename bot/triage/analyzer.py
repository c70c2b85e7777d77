"""Turn owner-typed Polish into index terms: fold, lemmatise, correct typos, apply synonyms."""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import yaml
from rapidfuzz import fuzz, process

from bot.triage.lexicon import build_lexicon
from bot.triage.text import words

LANGUAGE_FILE = Path(__file__).with_name("language.yaml")
# Shorter words have too many one-letter neighbours to correct safely (`blik` vs `blok`).
_MIN_FUZZY_LENGTH = 5
_FUZZY_CUTOFF = 82.0
_CACHE_LIMIT = 50_000


class Analyzer(Protocol):
    def terms(self, text: str) -> list[str]: ...


class PlainAnalyzer:
    """Lowercased tokens and nothing else: the baseline the Polish analyzer is measured against."""

    def terms(self, text: str) -> list[str]:
        return re.findall(r"\w+", text.lower())


@dataclass(frozen=True)
class Language:
    """Stopwords and synonyms as written in `language.yaml`."""

    stopwords: tuple[str, ...]
    synonyms: Mapping[str, tuple[str, ...]]

    @classmethod
    def load(cls, path: Path = LANGUAGE_FILE) -> "Language":
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        synonyms = {key: tuple(values) for key, values in data["synonyms"].items()}
        return cls(stopwords=tuple(data["stopwords"].split()), synonyms=synonyms)

    def vocabulary(self) -> list[str]:
        return [*self.stopwords, *self.synonyms, *(v for vs in self.synonyms.values() for v in vs)]


class PolishAnalyzer:
    """Folds before lemmatising (lemmatisers ignore words typed without diacritics)."""

    def __init__(self, *, lexicon: Mapping[str, str], language: Language) -> None:
        self._lexicon = dict(lexicon)
        self._buckets: dict[tuple[str, int], list[str]] = {}
        for form in self._lexicon:
            self._buckets.setdefault((form[0], len(form)), []).append(form)
        self._cache: dict[str, str] = {}
        self._synonyms = {
            tuple(self._lemmas(phrase)): [t for v in emitted for t in self._lemmas(v)]
            for phrase, emitted in language.synonyms.items()
        }
        self._longest = max((len(key) for key in self._synonyms), default=1)
        self.stopwords = frozenset(t for word in language.stopwords for t in self._lemmas(word))

    @classmethod
    def build(cls, texts: Iterable[str], *, language: Language) -> "PolishAnalyzer":
        """Build the lexicon from the texts to index plus the language and rule vocabulary."""
        lexicon = build_lexicon([*texts, *language.vocabulary()])
        return cls(lexicon=lexicon, language=language)

    def terms(self, text: str) -> list[str]:
        return self._apply_synonyms(self._lemmas(text))

    def _lemmas(self, text: str) -> list[str]:
        return [self._lemma(word) for word in words(text)]

    def _lemma(self, word: str) -> str:
        lemma = self._lexicon.get(word)
        if lemma is not None:
            return lemma
        cached = self._cache.get(word)
        if cached is None:
            if len(self._cache) > _CACHE_LIMIT:
                self._cache.clear()
            cached = self._cache[word] = self._correct(word)
        return cached

    def _correct(self, word: str) -> str:
        """The lemma of the closest known form (same first letter, similar length), else `word`."""
        if len(word) < _MIN_FUZZY_LENGTH or word.isdigit():
            return word
        candidates = [
            form
            for length in range(len(word) - 2, len(word) + 3)
            for form in self._buckets.get((word[0], length), ())
        ]
        match = process.extractOne(word, candidates, scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF)
        return self._lexicon[match[0]] if match else word

    def _apply_synonyms(self, lemmas: list[str]) -> list[str]:
        out: list[str] = []
        i = 0
        while i < len(lemmas):
            for size in range(min(self._longest, len(lemmas) - i), 0, -1):
                emitted = self._synonyms.get(tuple(lemmas[i : i + size]))
                if emitted is not None:
                    out.extend(emitted)
                    i += size
                    break
            else:
                out.append(lemmas[i])
                i += 1
        return out
