"""Criticality and department routing from the rules file, with the signals that explain them."""

import pytest

from bot.config import TriageConfig
from bot.triage import build_triager
from bot.triage.rules import Rules, RulesError, read_rules


@pytest.mark.parametrize(
    ("title", "body"),
    [
        ("klienci nie moga zaplacic", ""),
        ("sklep nie dziala", "strona sie nie laduje, blad 500"),
        ("brak zamowien", "od wczoraj nie wplywaja zadne zamowienia"),
        ("koszyk", "klienci nie moga zlozyc zamowienia, przycisk zamawiam nic nie robi"),
        ("panel", "panel administracyjny sie nie laduje, nie moge obslugiwac zamowien"),
    ],
)
def test_cannot_sell_or_handle_orders_is_critical(triager, title, body):
    result = triager.assess(title=title, body=body)
    assert result.critical
    assert any(signal.startswith("critical:") for signal in result.signals)


def test_wrong_p24_keys_are_not_critical_and_say_why(triager):
    result = triager.assess(title="platnosc p24", body="nie dziala platnosc p24 blad crc")
    assert not result.critical
    assert "overruled:payments_down(body)" in result.signals
    assert "not_critical:owner_config(body:crc)" in result.signals


@pytest.mark.parametrize(
    ("title", "body"),
    [
        ("kolor czcionki", "nie dziala zmiana koloru czcionki w stopce"),
        ("reset hasla", "zapomnialem hasla, nie moge sie zalogowac"),
        ("stany", "produkt ma stan 0 a klienci dalej moga go kupic"),
        ("przerwa techniczna", "jak wlaczyc tryb serwisowy zeby klienci nie widzieli zmian"),
    ],
)
def test_questions_and_cosmetics_are_not_critical(triager, title, body):
    assert not triager.assess(title=title, body=body).critical


def test_critical_signal_names_the_rule_and_the_field(triager):
    result = triager.assess(title="sklep nie dziala", body="pomocy")
    assert "critical:shop_down(title)" in result.signals


@pytest.mark.parametrize(
    ("title", "department"),
    [
        ("p24", "payments"),
        ("paczkomaty inpost", "shipping"),
        ("allegro", "integrations"),
        ("certyfikat ssl", "technical"),
        ("import csv", "catalog"),
        ("abonament", "billing"),
        ("zmiana szablonu", "design"),
        ("newsletter", "marketing"),
        ("reklamacja", "other"),
    ],
)
def test_title_alone_routes_to_the_department(triager, title, department):
    assert triager.assess(title=title, body="").department == department


def test_title_weighs_more_than_the_body(rules_triager):
    body = "klient zaplacil przez przelewy24, platnosc ok, ale zamowienie nie trafilo"
    result = rules_triager.assess(title="zamowienia z allegro", body=body)
    assert result.department == "integrations"
    assert "department:integrations(title:allegro)" in result.signals


def test_help_center_article_votes_for_a_department(triager):
    result = triager.assess(title="tryb testowy", body="jak go wylaczyc")
    assert result.department == "payments"
    assert "department:payments(article:p24-sandbox)" in result.signals


def test_nothing_recognised_falls_back_to_other(triager):
    result = triager.assess(title="hej", body="asdf qwerty")
    assert result.department == "other"
    assert "department:other(fallback)" in result.signals


def test_unknown_department_in_rules_is_refused(triager):
    data = read_rules(None) | {"departments": {"sales": ["sprzedaz"]}}
    with pytest.raises(RulesError, match="unknown department 'sales'"):
        Rules(data, analyzer=triager.index.analyzer)


def test_unknown_exemption_is_refused(triager):
    data = read_rules(None)
    data["critical"] = {"x": {"patterns": ["sklep nie dziala"], "unless": ["nope"]}}
    with pytest.raises(RulesError, match=r"critical\.x\.unless"):
        Rules(data, analyzer=triager.index.analyzer)


def test_rules_file_from_config_overrides_the_shipped_rules(tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "departments:\n  design: [pogoda]\n"
        "critical:\n  weather:\n    department: design\n    patterns: [leje deszcz]\n",
        encoding="utf-8",
    )
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "a.md").write_text(
        "---\nid: a\ntitle: Pogoda\ndepartment: design\ntags: [pogoda]\n"
        "url: https://selesto.pl/pomoc/a\n---\nO pogodzie.\n",
        encoding="utf-8",
    )
    # One article gives every word a tiny idf: keep all suggestions to check the folder is used.
    config = TriageConfig(kb_dir=kb, rules_file=rules, min_confidence=0.0, semantic=False)
    triager = build_triager(config)
    result = triager.assess(title="pogoda", body="leje deszcz")
    assert (result.department, result.critical) == ("design", True)
    assert "critical:weather(body)" in result.signals
    assert [s.article_id for s in result.suggestions] == ["a"]
