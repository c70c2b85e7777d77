"""POST /api/v1/tickets/{id}/rating: statuses, Polish refusals, idempotent retries, webhooks."""

import re

import pytest
from sqlmodel import select

from bot.validation import COMMENT_MAX_CHARS, SCORE_MAX, SCORE_MIN
from storage.models import Message, Rating
from tests.helpers import agent_reply, auth
from tests.security.envelope import assert_envelope
from tests.web.conftest import web_login
from tests.web.test_agent_page import link_of


async def resolved(client, services, token) -> int:
    created = await client.post(
        "/api/v1/tickets", headers=auth(token), json={"title": "Zmiana logo", "body": "Jak?"}
    )
    ticket_id = created.json()["id"]
    await agent_reply(services, ticket_id, "Ustawienia > Logo")
    await agent_reply(services, ticket_id, "!resolve")
    return ticket_id


def rate(client, token, ticket_id, headers=None, **body):
    url = f"/api/v1/tickets/{ticket_id}/rating"
    return client.post(url, headers={**auth(token), **(headers or {})}, **body)


def rated_lines(services) -> int:
    with services.db.transaction() as session:
        rows = session.exec(select(Message)).all()
    return sum(1 for m in rows if m.extra.get("kind") in ("rated", "rating_changed"))


async def test_the_shop_rates_and_the_ticket_shows_it(client, services, shop_token, clock):
    ticket_id = await resolved(client, services, shop_token)
    response = await rate(client, shop_token, ticket_id, json={"score": 4, "comment": "Dzięki"})
    assert response.status_code == 201, response.text
    when = clock.now().isoformat().replace("+00:00", "Z")
    expected = {"score": 4, "comment": "Dzięki", "created_at": when, "updated_at": when}
    assert response.json() == expected
    detail = (await client.get(f"/api/v1/tickets/{ticket_id}", headers=auth(shop_token))).json()
    assert detail["rating"] == expected
    assert "rated" not in [m["kind"] for m in detail["messages"]]


async def test_a_form_works_like_json_and_an_empty_comment_is_none(client, services, shop_token):
    ticket_id = await resolved(client, services, shop_token)
    response = await rate(client, shop_token, ticket_id, data={"score": "5", "comment": "  "})
    assert response.status_code == 201, response.text
    assert (response.json()["score"], response.json()["comment"]) == (5, None)


async def test_an_unrated_ticket_shows_no_rating(client, services, shop_token):
    ticket_id = await resolved(client, services, shop_token)
    detail = (await client.get(f"/api/v1/tickets/{ticket_id}", headers=auth(shop_token))).json()
    assert detail["rating"] is None


async def test_a_ticket_not_resolved_is_409_in_polish(client, services, shop_token):
    created = await client.post(
        "/api/v1/tickets", headers=auth(shop_token), json={"title": "Logo", "body": "?"}
    )
    response = await rate(client, shop_token, created.json()["id"], json={"score": 5})
    assert response.status_code == 409
    assert assert_envelope(response)["detail"] == "Ocenić można tylko rozwiązane zgłoszenie."


async def test_another_shops_ticket_is_404(client, services, shop_token, other_token):
    ticket_id = await resolved(client, services, shop_token)
    response = await rate(client, other_token, ticket_id, json={"score": 1, "comment": "Źle"})
    assert response.status_code == 404
    assert assert_envelope(response)["detail"] == "Nie znaleziono zgłoszenia."
    with services.db.transaction() as session:
        assert session.exec(select(Rating)).all() == []


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"score": 0}, "score", "Ocena musi być liczbą od 1 do 5."),
        ({"score": 6}, "score", "Ocena musi być liczbą od 1 do 5."),
        (
            {"score": 3, "comment": "a" * 1001},
            "comment",
            "Komentarz może mieć najwyżej 1000 znaków.",
        ),
        # Counted as sent, as the schema's maxLength says, not after trimming.
        (
            {"score": 3, "comment": "a" * 1000 + " "},
            "comment",
            "Komentarz może mieć najwyżej 1000 znaków.",
        ),
        ({}, "score", "Pole „Ocena” jest wymagane."),
        ({"score": True}, "score", "Pole „Ocena” ma nieprawidłową wartość."),
        ({"score": "pięć"}, "score", "Pole „Ocena” ma nieprawidłową wartość."),
        ({"score": 4.5}, "score", "Pole „Ocena” ma nieprawidłową wartość."),
        ({"score": 4, "stars": 4}, "stars", "Pole „stars” ma nieprawidłową wartość."),
    ],
)
async def test_invalid_ratings_are_422_naming_the_field_in_polish(
    client, services, shop_token, body, field, message
):
    ticket_id = await resolved(client, services, shop_token)
    response = await rate(client, shop_token, ticket_id, json=body)
    assert response.status_code == 422, response.text
    envelope = assert_envelope(response)
    assert envelope["errors"] == [{"field": field, "message": message}]
    assert rated_lines(services) == 0


async def test_a_retried_rating_answers_the_first_response_and_changes_nothing(
    client, services, shop_token, clock
):
    ticket_id = await resolved(client, services, shop_token)
    key = {"Idempotency-Key": "rate-1"}
    first = await rate(client, shop_token, ticket_id, key, json={"score": 2})
    assert first.status_code == 201
    clock.advance(minutes=5)
    changed = await rate(client, shop_token, ticket_id, json={"score": 5, "comment": "Jednak OK"})
    assert changed.status_code == 200
    same = await rate(client, shop_token, ticket_id, json={"score": 5, "comment": "Jednak OK"})
    assert (same.status_code, same.json()) == (200, changed.json())
    again = await rate(client, shop_token, ticket_id, key, json={"score": 2})
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    with services.db.transaction() as session:
        (row,) = session.exec(select(Rating)).all()
    assert (row.score, row.comment) == (5, "Jednak OK")  # the retry did not undo the change
    assert rated_lines(services) == 2


async def test_the_agents_page_shows_the_rating_under_its_label_and_the_comment_as_text(
    client, services, shop_token
):
    ticket_id = await resolved(client, services, shop_token)
    comment = "<script>alert(1)</script> <b>super</b>"
    await rate(client, shop_token, ticket_id, json={"score": 5, "comment": comment})
    html = (await client.get(link_of(services, ticket_id))).text
    assert '<span class="role">⭐ Ocena sklepu</span>' in html
    assert "★★★★★ 5/5" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &lt;b&gt;super&lt;/b&gt;" in html
    assert "<script>alert" not in html and "<b>super" not in html


async def test_openapi_documents_201_for_the_first_rating_200_for_a_change_and_the_limits(client):
    spec = (await client.get("/openapi.json")).json()
    operation = spec["paths"]["/api/v1/tickets/{ticket_id}/rating"]["post"]
    out = {"$ref": "#/components/schemas/RatingOut"}
    assert operation["responses"]["201"]["content"]["application/json"]["schema"] == out
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == out
    given = operation["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert (given["score"]["minimum"], given["score"]["maximum"]) == (SCORE_MIN, SCORE_MAX)
    assert given["comment"]["maxLength"] == COMMENT_MAX_CHARS


async def test_a_reopened_ticket_keeps_its_rating_everywhere_and_says_when_it_may_change(
    client, services, shop_token
):
    ticket_id = await resolved(client, services, shop_token)
    given = (
        await rate(client, shop_token, ticket_id, json={"score": 2, "comment": "Długo"})
    ).json()
    await agent_reply(services, ticket_id, "!reopen")
    detail = (await client.get(f"/api/v1/tickets/{ticket_id}", headers=auth(shop_token))).json()
    assert (detail["status"], detail["rating"]) == ("open", given)
    refused = await rate(client, shop_token, ticket_id, json={"score": 5})
    assert refused.status_code == 409
    await web_login(client, shop_token)
    html = (await client.get(f"/panel/tickets/{ticket_id}")).text
    section = html[html.index('<section class="rating card"') :]
    section = section[: section.index("</section>")]
    assert '<h2 id="rating-title">Twoja ocena</h2>' in section
    assert "<strong>2/5</strong> — źle" in section
    assert '<blockquote class="rating-comment">Długo</blockquote>' in section
    assert (
        '<p class="rating-reopened">Zgłoszenie wznowione — możesz ocenić je ponownie po '
        "rozwiązaniu.</p>"
    ) in section
    assert "<form" not in section


async def test_the_form_follows_the_scale_and_the_comment_limit(
    client, services, shop_token, monkeypatch
):
    from adapters.panel.web import render

    assert (render.env.globals["SCORE_MAX"], render.env.globals["COMMENT_MAX_CHARS"]) == (
        SCORE_MAX,
        COMMENT_MAX_CHARS,
    )
    # A scale of 2–4 and 300 characters: nothing in the page may still say 1–5 or 1000.
    monkeypatch.setitem(render.env.globals, "SCORE_MIN", 2)
    monkeypatch.setitem(render.env.globals, "SCORE_MAX", 4)
    monkeypatch.setitem(render.env.globals, "COMMENT_MAX_CHARS", 300)
    ticket_id = await resolved(client, services, shop_token)
    await web_login(client, shop_token)
    html = (await client.get(f"/panel/tickets/{ticket_id}")).text
    assert re.findall(r'name="score" value="(\d+)"', html) == ["2", "3", "4"]
    assert '<span class="hint">(2 — źle, 4 — dobrze)</span>' in html
    assert 'maxlength="300"' in html
    await rate(client, shop_token, ticket_id, json={"score": 3})
    html = (await client.get(f"/panel/tickets/{ticket_id}")).text
    assert "<strong>3/4</strong> — średnio" in html
