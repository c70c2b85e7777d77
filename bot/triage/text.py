"""Diacritic folding and tokenising shared by every analyzer."""

import re
import unicodedata

_WORD = re.compile(r"[a-z0-9]+")
_RAW_WORD = re.compile(r"[^\W_]+")
# `ł` has no Unicode decomposition, so NFKD alone would keep it.
_UNDECOMPOSABLE = str.maketrans({"ł": "l", "Ł": "l"})


def fold(text: str) -> str:
    """Lowercase and strip diacritics: `Płatność` -> `platnosc`."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_UNDECOMPOSABLE).lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def words(text: str) -> list[str]:
    """Folded alphanumeric tokens, in order."""
    return _WORD.findall(fold(text))


def raw_words(text: str) -> list[str]:
    """Lowercase tokens that keep their diacritics (what a lemmatiser needs)."""
    return _RAW_WORD.findall(text.lower())
