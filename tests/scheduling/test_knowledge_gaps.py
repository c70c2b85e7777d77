"""Knowledge gaps grouped from owner-typed titles: no diacritics, typos, inflections, spacing."""

from bot.knowledge_gaps import GapTicket, canonical_spellings, group_gaps, title_words
from bot.report_data import KnowledgeGap


def tickets(department: str, *titles: str, first_id: int = 1) -> list[GapTicket]:
    return [GapTicket(first_id + n, department, title) for n, title in enumerate(titles)]


def test_title_words_fold_drop_stopwords_and_symptoms_and_apply_synonyms():
    assert title_words("Przelewy24 nie działa!!!") == ["przelewy24"]
    assert title_words("przelewy 24 błąd") == ["przelewy24"]
    assert title_words("P24 - pomocy, nie dzialaja platnosci") == ["przelewy24", "platnosci"]
    assert title_words("Jak zmienić logo w sklepie?") == ["zmienic", "logo", "sklepie"]
    assert title_words("Błąd, nie działa") == []


def test_typos_and_inflections_take_the_most_frequent_spelling():
    titles = [["przelewy24"], ["przelewy24", "konfiguracja"], ["prezlewy24"], ["platnosci"],
              ["platnosc"], ["platnosc"], ["dpd"], ["dhl"]]  # fmt: skip
    spelling = canonical_spellings(titles)
    assert spelling["prezlewy24"] == "przelewy24"
    assert spelling["platnosci"] == "platnosc"
    assert spelling["dhl"] == "dhl"  # short names are never merged: dpd is not dhl
    assert spelling["konfiguracja"] == "konfiguracja"
    # As frequent as each other: the spelling the triage's vocabulary knows wins.
    assert canonical_spellings([["prezlewy24"], ["przelewy24"]])["prezlewy24"] == "przelewy24"
    assert canonical_spellings([["przelewy24"], ["prezlewy24"]])["prezlewy24"] == "przelewy24"


def test_przelewy24_titles_form_one_gap_and_a_shared_second_word_narrows_a_group():
    payments = tickets(
        "payments",
        "Przelewy24 nie dziala",
        "przelewy 24 blad",
        "Przelewy24 konfiguracja",
        "prezlewy24 nie przyjmuje wplat",
    )
    shipping = tickets(
        "shipping",
        "inpost etykiety",
        "Inpost etykieta nie drukuje",
        "inpost etykieta blad",
        "inpost paczkomat",
        first_id=10,
    )
    other = tickets("other", "Pomocy!!", "faktury korekta", "Faktura korekta blad", first_id=20)
    assert group_gaps([*payments, *shipping, *other]) == (
        KnowledgeGap("przelewy24", "payments", tickets=4, examples=(1, 2, 3, 4)),
        KnowledgeGap("inpost etykieta", "shipping", tickets=3, examples=(10, 11, 12)),
        KnowledgeGap("faktura korekta", "other", tickets=2, examples=(21, 22)),
        KnowledgeGap("", "other", tickets=1, examples=(20,)),
        KnowledgeGap("inpost paczkomat", "shipping", tickets=1, examples=(13,)),
    )


def test_the_same_words_in_two_departments_are_two_gaps():
    gaps = group_gaps(
        [*tickets("payments", "blik zwrot", "BLIK zwrot"), *tickets("other", "zwrot", first_id=5)]
    )
    assert gaps == (
        KnowledgeGap("blik zwrot", "payments", tickets=2, examples=(1, 2)),
        KnowledgeGap("zwrot", "other", tickets=1, examples=(5,)),
    )
