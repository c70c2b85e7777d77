"""Folding, lemmatisation, typo tolerance and synonyms of the Polish analyzer."""

import pytest

from bot.triage.text import fold, words


def test_fold_strips_diacritics_including_l_stroke():
    assert fold("Płatność ŁÓDŹ żółw") == "platnosc lodz zolw"


def test_words_are_folded_tokens_without_punctuation():
    assert words("Błąd: „Incorrect CRC”, p24!") == ["blad", "incorrect", "crc", "p24"]


@pytest.mark.parametrize("form", ["płatności", "platnosci", "Płatnościami", "platnoscia"])
def test_inflected_forms_with_or_without_diacritics_share_a_lemma(terms, form):
    assert terms(form) == terms("płatność")


def test_verb_forms_share_a_lemma(terms):
    assert terms("nie mogą zapłacić") == terms("nie moge zaplacil")


@pytest.mark.parametrize(
    ("typo", "meant"),
    [("prezlewy24", "przelewy24"), ("inpsot", "inpost"), ("pczkomat", "paczkomat")],
)
def test_misspelled_names_are_corrected(terms, typo, meant):
    assert terms(typo) == terms(meant)


def test_short_words_are_not_fuzzily_corrected(terms):
    # `blok` is one letter from `blik`: too risky to correct.
    assert terms("blok") != terms("blik")


@pytest.mark.parametrize("alias", ["p24", "przelewy 24", "Przelewy24"])
def test_przelewy24_abbreviations_are_one_term(terms, alias):
    assert terms(alias) == ["przelewy24"]


def test_cash_on_delivery_phrases_mean_pobranie(terms):
    assert terms("za pobraniem") == terms("przy odbiorze") == terms("pobranie")


def test_unknown_words_pass_through(terms):
    assert terms("qwxz") == ["qwxz"]
