"""A folded Polish lexicon: every inflected form of the vocabulary we care about -> its lemma."""

from collections.abc import Iterable, Iterator, Mapping
from functools import cache

from bot.triage.text import fold, raw_words


@cache
def _dictionary() -> Mapping[str, str]:
    # simplemma takes ~4 s to decompress its Polish dictionary: load it once, and only when an
    # index is built, never on the query path.
    from simplemma.strategies.dictionaries.dictionary_factory import DEFAULT_DICTIONARY_FACTORY

    return DEFAULT_DICTIONARY_FACTORY.get_dictionary("pl")


def release_dictionary() -> None:
    """Drop simplemma's Polish dictionary (~370 MB resident) once the lexicons are built.

    Queries only use the small folded lexicon; keeping the whole dictionary would make every
    Pomoc instance ten times its size. The next index build loads it again.
    """
    from simplemma.strategies.dictionaries.dictionary_factory import DEFAULT_DICTIONARY_FACTORY

    _dictionary.cache_clear()
    DEFAULT_DICTIONARY_FACTORY._get_dictionary.cache_clear()


def _entries(dictionary: Mapping[str, str]) -> Iterator[tuple[bytes, bytes]]:
    # The bytes store behind simplemma's mapping is ~20x faster to scan than its decoding view.
    store = getattr(dictionary, "_dict", None)
    if store is None:
        store = {key.encode(): value.encode() for key, value in dictionary.items()}
    return iter(store.items())


def lemmatize(word: str) -> str:
    """The lemma of a word written with its diacritics (unknown words come back unchanged)."""
    return _dictionary().get(word) or word


def build_lexicon(texts: Iterable[str]) -> dict[str, str]:
    """Map folded forms to folded lemmas, for every form of every lemma used in `texts`.

    simplemma cannot lemmatise words typed without diacritics, so the lemmas are found on the
    written text and all their forms are folded here, once: `platnosci` then finds `platnosc`.
    """
    seen = {word for text in texts for word in raw_words(text)}
    lemmas = {word: lemmatize(word) for word in seen}
    wanted = {lemma.encode() for lemma in lemmas.values()}
    lexicon: dict[str, str] = {}
    for form, lemma in _entries(_dictionary()):
        if lemma in wanted:
            lexicon.setdefault(fold(form.decode()), fold(lemma.decode()))
    # A form written in the texts wins over a folded collision from the dictionary, unless
    # simplemma does not know it (`moge` typed without diacritics must stay `mogę` -> `móc`).
    for word, lemma in lemmas.items():
        if lemma != word or fold(word) not in lexicon:
            lexicon[fold(word)] = fold(lemma)
    # Follow one more hop so that a form and its lemma agree: simplemma sends `zamówienia` to
    # `zamówienie` but `zamówienie` itself to `zamówić`.
    return {form: lexicon.get(lemma, lemma) for form, lemma in lexicon.items()}
