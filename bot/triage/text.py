"""Diacritic folding and tokenising shared by every analyzer."""

import re
import unicodedata

_WORD = re.compile(r"[a-z0-9]+")
_WORD_OR_END = re.compile(r"[a-z0-9]+|[.!?;]+(?=\s|$)")
# Stands between two sentences in a ticket's terms: phrases are not matched across it.
SENTENCE_END = "."
_RAW_WORD = re.compile(r"[^\W_]+")
# `ł` has no Unicode decomposition, so NFKD alone would keep it.
_UNDECOMPOSABLE = str.maketrans({"ł": "l", "Ł": "l"})


def fold(text: str) -> str:
    """Lowercase and strip diacritics: `Płatność` -> `platnosc`."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_UNDECOMPOSABLE).lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def words(text: str, *, sentences: bool = False) -> list[str]:
    """Folded alphanumeric tokens, in order; with `sentences`, SENTENCE_END between sentences."""
    if not sentences:
        return _WORD.findall(fold(text))
    found = _WORD_OR_END.findall(fold(text))
    return [token if token[0].isalnum() else SENTENCE_END for token in found]


def raw_words(text: str) -> list[str]:
    """Lowercase tokens that keep their diacritics (what a lemmatiser needs)."""
    return _RAW_WORD.findall(text.lower())
