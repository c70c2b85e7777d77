"""Help-center search: ranking, field weights and the confidence threshold."""

from bot.triage import HelpCenterTriager


def top(triager: HelpCenterTriager, title: str, body: str = "") -> list[str]:
    return [s.article_id for s in triager.assess(title=title, body=body).suggestions]


def test_crc_error_without_diacritics_finds_the_crc_article(triager):
    assert (
        top(triager, "platnosc p24 crc", "nie dziala platnosc p24 blad crc")[0] == "p24-klucz-crc"
    )


def test_diacritics_do_not_change_the_bm25_ranking(rules_triager):
    # The embedding model reads diacritics; the lexical ranking must not depend on them.
    assert top(rules_triager, "płatność przy odbiorze") == top(
        rules_triager, "platnosc przy odbiorze"
    )


def test_typo_in_brand_still_finds_the_article(triager):
    assert top(triager, "alegro", "jak polaczyc sklep z alegro")[0] == "allegro-integracja"


def test_owner_word_reaches_article_through_an_alias(triager):
    assert top(triager, "punkt odbioru", "klient nie widzi mapy punktow odbioru")[0] == (
        "inpost-paczkomaty"
    )


def test_returns_at_most_three_ranked_suggestions(triager):
    suggestions = triager.assess(title="przelewy24", body="konfiguracja").suggestions
    assert len(suggestions) == 3
    scores = [s.score for s in suggestions]
    assert scores == sorted(scores, reverse=True)


def test_off_topic_ticket_gets_no_suggestion(triager):
    result = triager.assess(title="pogoda", body="jaka bedzie jutro pogoda w krakowie")
    assert result.suggestions == ()
    assert result.confidence < triager.min_confidence


def test_below_threshold_means_no_suggestion_and_a_signal(triager):
    strict = HelpCenterTriager(index=triager.index, rules=triager.rules, min_confidence=0.99)
    result = strict.assess(title="kod rabatowy", body="jak zrobic kupon")
    assert result.suggestions == ()
    assert any(signal.startswith("suggestions:none") for signal in result.signals)
    assert triager.assess(title="kod rabatowy", body="jak zrobic kupon").suggestions


def test_confidence_is_higher_for_a_specific_question(triager):
    specific = triager.assess(title="klucz crc", body="gdzie jest klucz crc przelewy24")
    vague = triager.assess(title="umowa", body="gdzie podpisac umowe z wami")
    assert specific.confidence > vague.confidence


def test_ticket_title_outweighs_the_body(triager):
    ranking_a = triager.search("newsletter", "a poza tym pytanie o kod rabatowy")
    ranking_b = triager.search("kod rabatowy", "a poza tym pytanie o newsletter")
    assert ranking_a.hits[0].article.id == "newsletter"
    assert ranking_b.hits[0].article.id == "kody-rabatowe"


def test_article_lookup_by_id(triager):
    article = triager.article("p24-klucz-crc")
    assert article is not None and article.url == "https://selesto.pl/pomoc/p24-klucz-crc"
    assert triager.article("no-such-article") is None
