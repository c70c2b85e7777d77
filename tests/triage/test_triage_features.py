"""Scope and cause as features: who is affected, who changed what, and how they weigh."""

import pytest

from bot.triage.features import names


def features(triager, title, body=""):
    return triager.rules.features.of(triager.ticket(title, body))


@pytest.mark.parametrize(
    ("body", "feature"),
    [
        ("Jedna klientka nie może zapłacić kartą", "scope:one"),
        ("Inni klienci płacą normalnie, tylko ten ma błąd", "scope:one"),
        ("Dla jednego zamówienia etykieta się nie tworzy", "scope:one"),
        ("Wszyscy klienci dostają błąd", "scope:all"),
        ("Żaden klient nie złożył zamówienia", "scope:all"),
        ("Od rana zero zamówień", "scope:all"),
        ("Zmieniłem wczoraj rekordy DNS u rejestratora", "cause:owner"),
        ("Wkleiłam do szablonu skrypt czatu", "cause:owner"),
        ("Zaimportowałem plik CSV od hurtowni", "cause:owner"),
        ("Chyba pomyliłam klucze w integracji", "cause:owner"),
        ("Nic nie zmieniałam w szablonie", "cause:platform"),
        ("Po waszej aktualizacji przestało działać", "cause:platform"),
        ("Jak ustawić darmową dostawę?", "intent:howto"),
        ("Czy planujecie integrację z Vinted?", "intent:wish"),
    ],
)
def test_feature_is_found(triager, body, feature):
    assert feature in names(features(triager, "zgłoszenie", body))


def test_a_denied_change_is_no_owner_cause(triager):
    found = names(features(triager, "sklep", "Nie importowałem nic, stany same się wyzerowały"))
    assert "cause:owner" not in found
    assert "cause:platform" in found


def test_a_negation_inside_the_phrase_voids_it(triager):
    # "zamówienia wpływają" says the shop works; "zamówienia nie wpływają" says the opposite.
    assert "scope:one" in names(features(triager, "x", "Sprzedaż normalna, zamówienia wpływają"))
    assert "scope:one" not in names(features(triager, "x", "Zamówienia nie wpływają od rana"))


def test_phrases_do_not_match_across_sentences(triager):
    assert "cause:owner" in names(features(triager, "x", "Dodałem skrypt do szablonu"))
    assert "cause:owner" not in names(
        features(triager, "x", "Nie da się dodać do koszyka. Szablon ten sam od roku.")
    )


def test_signal_names_group_field_and_words(triager):
    signals = [f.signal for f in features(triager, "import", "Zaimportowałem plik z cenami")]
    assert "cause:owner(import, body:zaimportowac plik)" in signals


def test_owner_caused_failure_is_not_critical_but_the_denied_one_is(triager):
    failure = "Klienci piszą, że przycisk Zamawiam w koszyku nie działa."
    owner = triager.assess(title="koszyk", body=f"{failure} Wkleiłem własny kod JS do koszyka.")
    denied = triager.assess(title="koszyk", body=f"{failure} Nic nie zmieniałem w kodzie.")
    assert not owner.critical
    assert denied.critical
    assert any(s.startswith("cause:owner(template") for s in owner.signals)
    assert any(s.startswith("cause:platform(denial") for s in denied.signals)
    assert owner.extra["critical_score"] < denied.extra["critical_score"]


def test_one_customer_is_not_critical_all_customers_are(rules_triager):
    one = rules_triager.assess(
        title="blik", body="Jedna klientka nie może zapłacić BLIKiem, inni płacą normalnie."
    )
    everyone = rules_triager.assess(title="blik", body="Żaden klient nie może zapłacić BLIKiem.")
    assert (one.critical, everyone.critical) == (False, True)


def test_alarm_words_on_a_question_do_not_make_it_critical(triager):
    result = triager.assess(title="PILNE!!!", body="PILNE!!! jak zmienić kolor przycisków?")
    assert not result.critical
    assert any(s.startswith("intent:howto") for s in result.signals)
