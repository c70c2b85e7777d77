"""The morfeusz2 lexicon: every inflected form of the vocabulary, folded, maps to one lemma."""

import pytest

from bot.triage.lexicon import build_lexicon


@pytest.mark.parametrize(
    ("form", "lemma_of"),
    [
        ("zniknely", "zniknąć"),
        ("zniknęły", "zniknąć"),
        ("przestaly", "przestać"),
        ("wpadaja", "wpadać"),
        ("pomylilem", "pomylić"),
        ("zepsulam", "zepsuć"),
        ("zmienialismy", "zmieniać"),
        ("zamowien", "zamówienie"),
        ("platnosciami", "płatność"),
    ],
)
def test_owner_forms_lemmatise_like_their_lemma(terms, form, lemma_of):
    assert terms(form) == terms(lemma_of)
    assert terms(form) != [form]  # it was recognised, not passed through


def test_nie_is_the_negation_not_a_pronoun(terms):
    assert terms("nie działa") == ["nie", "dzialac"]


def test_negated_participle_keeps_its_negation(terms):
    assert terms("nieopłacone") != terms("opłacone")
    assert terms("nieoplacone") == terms("nieopłacone")


def test_generated_forms_cover_words_the_texts_never_use():
    lexicon = build_lexicon(["Produkty zniknęły ze sklepu."])
    # Only "zniknęły" was written; the infinitive, the gerund and the first person are generated.
    assert {"zniknac", "znikniecie", "zniknalem", "zniknely"} <= set(lexicon)
    assert {lexicon[form] for form in ("zniknac", "zniknalem", "zniknely")} == {"zniknac"}
    assert lexicon["sklepu"] == lexicon["sklep"] == "sklep"


def test_unknown_words_stand_for_themselves():
    # A brand the dictionary does not know stays a target for typo correction.
    lexicon = build_lexicon(["InPost qwxz sklep"])
    assert (lexicon["inpost"], lexicon["qwxz"]) == ("inpost", "qwxz")
