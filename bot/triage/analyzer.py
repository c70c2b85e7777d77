"""Turn owner-typed Polish into index terms: fold, lemmatise, correct typos, apply synonyms."""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import yaml
from rapidfuzz import fuzz, process

from bot.triage.lexicon import build_lexicon
from bot.triage.text import SENTENCE_END, fold, words

LANGUAGE_FILE = Path(__file__).with_name("language.yaml")
# Shorter words have too many one-letter neighbours to correct safely (`blik` vs `blok`).
_MIN_FUZZY_LENGTH = 5
_FUZZY_CUTOFF = 82.0
_CACHE_LIMIT = 50_000


class Analyzer(Protocol):
    def terms(self, text: str, *, sentences: bool = False) -> list[str]: ...


class PlainAnalyzer:
    """Lowercased tokens and nothing else: the baseline the Polish analyzer is measured against."""

    def terms(self, text: str, *, sentences: bool = False) -> list[str]:
        return re.findall(r"\w+", text.lower())


@dataclass(frozen=True)
class Language:
    """Stopwords and synonyms as written in `language.yaml`."""

    stopwords: tuple[str, ...]
    synonyms: Mapping[str, tuple[str, ...]]
    readings: Mapping[str, str] = field(default_factory=dict)
    words: tuple[str, ...] = ()

    @classmethod
    def load(cls, path: Path = LANGUAGE_FILE) -> "Language":
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        synonyms = {key: tuple(values) for key, values in data["synonyms"].items()}
        return cls(
            stopwords=tuple(data["stopwords"].split()),
            synonyms=synonyms,
            readings={str(k): str(v) for k, v in (data.get("readings") or {}).items()},
            words=tuple(str(data.get("vocabulary") or "").split()),
        )

    def vocabulary(self) -> list[str]:
        synonyms = [*self.synonyms, *(v for vs in self.synonyms.values() for v in vs)]
        return [*self.stopwords, *synonyms, *self.words]


class PolishAnalyzer:
    """Folds before lemmatising (lemmatisers ignore words typed without diacritics)."""

    def __init__(
        self, *, lexicon: Mapping[str, str], language: Language, spellings: Iterable[str] = ()
    ) -> None:
        self._lexicon = dict(lexicon)
        # Typos are corrected towards words the texts use and their lemmas, not towards every
        # generated form: fewer candidates keep a correction fast and less surprising.
        self._buckets: dict[tuple[str, int], list[str]] = {}
        for form in sorted({*spellings, *self._lexicon.values()}):
            if form in self._lexicon:
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
        vocabulary = [*texts, *language.vocabulary()]
        lexicon = build_lexicon(vocabulary)
        lexicon.update({fold(form): fold(lemma) for form, lemma in language.readings.items()})
        spellings = {word for text in vocabulary for word in words(text)}
        return cls(lexicon=lexicon, language=language, spellings=spellings)

    def terms(self, text: str, *, sentences: bool = False) -> list[str]:
        """Lemmas after synonyms; with `sentences`, SENTENCE_END marks where sentences end."""
        return self._apply_synonyms(self._lemmas(text, sentences=sentences))

    def _lemmas(self, text: str, *, sentences: bool = False) -> list[str]:
        return [
            word if word == SENTENCE_END else self._lemma(word)
            for word in words(text, sentences=sentences)
        ]

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
