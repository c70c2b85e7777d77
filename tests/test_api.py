"""The panel API over HTTP: create, list, read, follow up, unread, validation, isolation."""

import io
import re

import pytest
from sqlalchemy import update

from adapters.panel.auth import TokenCache
from storage.models import Shop
from tests.helpers import PDF_MINI, agent_reply, auth, png


async def create(
    client, token, title="Blad platnosci p24", body="Klient nie moze zaplacic", **extra
):
    files = extra.pop("files", None)
    return await client.post(
        "/api/v1/tickets",
        headers=auth(token),
        data={"title": title, "body": body, **extra},
        files=files,
    )


async def test_create_then_read_and_list(client, shop_token):
    response = await create(
        client, shop_token, order_url="https://sklep.pl/admin/orders/15", files=[("files", png())]
    )
    assert response.status_code == 201, response.text
    ticket = response.json()
    assert ticket["title"] == "Blad platnosci p24"
    assert ticket["department"] == "payments"
    assert ticket["status"] == "suggested"  # the keyword triager suggests a P24 article
    shop_message, bot_message = ticket["messages"]
    assert shop_message["author"] == "shop"
    assert shop_message["attachments"][0]["content_type"] == "image/png"
    assert bot_message["kind"] == "suggestions"
    assert bot_message["suggestions"][0]["article_id"] == "p24-crc"

    listed = (await client.get("/api/v1/tickets", headers=auth(shop_token))).json()
    assert [t["id"] for t in listed["tickets"]] == [ticket["id"]]
    detail = await client.get(f"/api/v1/tickets/{ticket['id']}", headers=auth(shop_token))
    assert detail.json()["order_url"] == "https://sklep.pl/admin/orders/15"
    # The create answer is built from what the transaction wrote: it must match a fresh read.
    assert detail.json() == ticket

    url = shop_message["attachments"][0]["url"]
    download = await client.get(url, headers=auth(shop_token))
    assert download.status_code == 200
    assert download.headers["content-type"] == "image/png"
    assert download.headers["x-content-type-options"] == "nosniff"


async def test_list_orders_by_latest_activity(client, shop_token, clock):
    first = (await create(client, shop_token, title="Pierwsze")).json()
    clock.advance(minutes=1)
    second = (await create(client, shop_token, title="Drugie")).json()
    clock.advance(minutes=1)
    await client.post(
        f"/api/v1/tickets/{first['id']}/messages",
        headers=auth(shop_token),
        data={"body": "Jeszcze jedno"},
    )
    listed = (await client.get("/api/v1/tickets", headers=auth(shop_token))).json()
    assert [t["id"] for t in listed["tickets"]] == [first["id"], second["id"]]


async def test_follow_up_is_stored_and_unread_clears_on_read(client, shop_token, services):
    ticket = (await create(client, shop_token, title="Zmiana szablonu", body="Jak zmienic?")).json()
    assert ticket["status"] == "open"  # no suggestion: straight to an agent
    unread = (await client.get("/api/v1/unread", headers=auth(shop_token))).json()
    assert unread == {"unread": 0}

    follow = await client.post(
        f"/api/v1/tickets/{ticket['id']}/messages",
        headers=auth(shop_token),
        data={"body": "Dodaje zrzut"},
        files=[("files", ("umowa.pdf", io.BytesIO(PDF_MINI), "x/y"))],
    )
    assert follow.status_code == 201, follow.text
    assert follow.json()["attachments"][0]["content_type"] == "application/pdf"
    detail = await client.get(f"/api/v1/tickets/{ticket['id']}", headers=auth(shop_token))
    assert detail.json()["messages"][-1] == follow.json()  # the answer is what was stored

    await agent_reply(services, ticket["id"], "Dzien dobry, juz sprawdzamy")
    assert (await client.get("/api/v1/unread", headers=auth(shop_token))).json()["unread"] == 1
    listed = (await client.get("/api/v1/tickets", headers=auth(shop_token))).json()
    assert listed["tickets"][0]["unread"] is True
    read = await client.post(f"/api/v1/tickets/{ticket['id']}/read", headers=auth(shop_token))
    assert read.json() == {"unread": 0}


@pytest.mark.parametrize(
    ("data", "field", "phrase"),
    [
        ({"body": "opis"}, "title", "wymagane"),
        ({"title": "Platnosci", "body": "   "}, "body", "wymagany"),
        ({"title": "to jest bardzo dlugi tytul z wieloma slowami", "body": "x"}, "title", "2–3"),
        (
            {"title": "Zwroty", "body": "x", "order_url": "javascript:alert(1)"},
            "order_url",
            "https",
        ),
    ],
)
async def test_validation_errors_are_polish_and_name_the_field(
    client, shop_token, data, field, phrase
):
    response = await client.post("/api/v1/tickets", headers=auth(shop_token), data=data)
    assert response.status_code == 422
    error = response.json()
    assert error["errors"][0]["field"] == field
    assert phrase in error["errors"][0]["message"]
    listed = (await client.get("/api/v1/tickets", headers=auth(shop_token))).json()
    assert listed["tickets"] == []


async def test_oversized_and_wrong_type_uploads_are_refused(client, shop_token):
    too_big = await create(client, shop_token, files=[("files", png(size=1024 * 1024 + 10))])
    assert too_big.status_code == 422
    assert "za duży" in too_big.json()["detail"]
    exe = ("files", ("zdjecie.png", io.BytesIO(b"MZ\x90\x00" + b"\0" * 100), "image/png"))
    disguised = await create(client, shop_token, files=[exe])
    assert disguised.status_code == 422
    assert "niedozwolony typ" in disguised.json()["detail"]
    assert (await client.get("/api/v1/tickets", headers=auth(shop_token))).json()["tickets"] == []


async def test_request_over_body_limit_gets_413(client, shop_token, services):
    limit = services.config.panel.max_request_bytes
    big = await client.post(
        "/api/v1/tickets",
        headers={**auth(shop_token), "content-length": str(limit + 1)},
        content=b"x",
    )
    assert big.status_code == 413
    assert "za duże" in big.json()["detail"]


async def test_another_shop_sees_nothing(client, shop_token, other_token):
    ticket = (await create(client, shop_token, files=[("files", png())])).json()
    tid = ticket["id"]
    attachment = ticket["messages"][0]["attachments"][0]["url"]
    other = auth(other_token)
    assert (await client.get(f"/api/v1/tickets/{tid}", headers=other)).status_code == 404
    assert (await client.get(attachment, headers=other)).status_code == 404
    post = await client.post(f"/api/v1/tickets/{tid}/messages", headers=other, data={"body": "x"})
    assert post.status_code == 404
    assert (await client.post(f"/api/v1/tickets/{tid}/read", headers=other)).status_code == 404
    feedback = await client.post(
        f"/api/v1/tickets/{tid}/feedback", headers=other, json={"helped": True}
    )
    assert feedback.status_code == 404
    assert (await client.get("/api/v1/tickets", headers=other)).json()["tickets"] == []
    still = (await client.get(f"/api/v1/tickets/{tid}", headers=auth(shop_token))).json()
    assert len(still["messages"]) == 2


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer nie-ten-token", "Basic abc"])
async def test_bad_tokens_get_401(client, shop_token, header):
    headers = {"Authorization": header} if header else {}
    response = await client.get("/api/v1/tickets", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_deactivated_shop_is_locked_out_once_its_cached_token_expires(
    client, shop_token, runtime, services, clock
):
    runtime.app.state.tokens = TokenCache(ttl=0.3, timer=clock)
    assert (await client.get("/api/v1/unread", headers=auth(shop_token))).status_code == 200
    with services.db.transaction() as session:
        session.exec(update(Shop).values(active=False))
    # Within the cache's few seconds the token still works (no query per request)...
    assert (await client.get("/api/v1/unread", headers=auth(shop_token))).status_code == 200
    clock.advance(seconds=0.35)
    # ...then the database answers again, and it says no.
    assert (await client.get("/api/v1/unread", headers=auth(shop_token))).status_code == 401


async def test_critical_ticket_answer_matches_a_fresh_read(client, shop_token):
    response = await create(client, shop_token, title="Awaria koszyka", body="Nikt nie kupi")
    assert response.status_code == 201, response.text
    ticket = response.json()
    assert [m["kind"] for m in ticket["messages"]] == [None, "escalated"]
    assert ticket["priority"] == "critical"
    detail = await client.get(f"/api/v1/tickets/{ticket['id']}", headers=auth(shop_token))
    assert detail.json() == ticket


async def test_feedback_helped_resolves_as_deflected(client, shop_token):
    ticket = (await create(client, shop_token)).json()
    answer = await client.post(
        f"/api/v1/tickets/{ticket['id']}/feedback", headers=auth(shop_token), json={"helped": True}
    )
    assert answer.status_code == 200
    assert answer.json()["status"] == "resolved"
    again = await client.post(
        f"/api/v1/tickets/{ticket['id']}/feedback", headers=auth(shop_token), json={"helped": False}
    )
    assert again.status_code == 409


async def test_feedback_not_helped_escalates(client, shop_token, chat, runtime):
    ticket = (await create(client, shop_token)).json()
    answer = await client.post(
        f"/api/v1/tickets/{ticket['id']}/feedback", headers=auth(shop_token), json={"helped": False}
    )
    assert answer.json()["status"] == "open"
    await runtime.dispatcher.deliver_once()
    (view,) = chat.threads.values()
    assert view.id == ticket["id"]
    assert view.suggestions[0].article_id == "p24-crc"


async def test_rate_limit_on_new_tickets_says_the_real_wait(client, shop_token, services, clock):
    limit = services.config.panel.max_new_tickets_per_hour
    assert (await create(client, shop_token, title="Pytanie")).status_code == 201
    clock.advance(minutes=10)
    for _ in range(limit - 1):
        assert (await create(client, shop_token, title="Pytanie")).status_code == 201
    refused = await create(client, shop_token, title="Pytanie")
    assert refused.status_code == 429
    # The first ticket leaves the hour in 50 minutes: that is when one more is allowed.
    assert refused.headers["retry-after"] == "3000"
    clock.advance(seconds=2999)
    assert (await create(client, shop_token, title="Pytanie")).headers["retry-after"] == "1"
    clock.advance(seconds=1)
    assert (await create(client, shop_token, title="Pytanie")).status_code == 201


async def test_openapi_and_health(client):
    spec = (await client.get("/openapi.json")).json()
    assert "/api/v1/tickets" in spec["paths"]
    assert "/api/v1/unread" in spec["paths"]
    assert (await client.get("/healthz")).json() == {"status": "ok"}


async def test_openapi_tells_the_truth_about_auth_statuses_and_limits(client, shop_token):
    from bot.validation import BODY_MAX_CHARS, TITLE_MAX_CHARS, TITLE_MAX_WORDS

    spec = (await client.get("/openapi.json")).json()
    assert spec["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": spec["components"]["securitySchemes"]["bearer"]["description"],
    }
    create = spec["paths"]["/api/v1/tickets"]["post"]
    assert create["security"] == [{"bearer": []}]
    assert {"400", "401", "404", "409", "413", "415", "422", "429"} <= set(create["responses"])
    assert "Retry-After" in create["responses"]["429"]["headers"]
    body = create["requestBody"]["content"]
    assert set(body) == {
        "application/json",
        "multipart/form-data",
        "application/x-www-form-urlencoded",
    }
    title = body["application/json"]["schema"]["properties"]["title"]
    assert title["maxLength"] == TITLE_MAX_CHARS
    assert title["pattern"].endswith(f"{{0,{TITLE_MAX_WORDS - 1}}}\\s*$")
    assert body["application/json"]["schema"]["properties"]["body"]["maxLength"] == BODY_MAX_CHARS
    assert "304" in spec["paths"]["/api/v1/unread"]["get"]["responses"]
    # The published pattern draws the line where the server does: six words yes, seven no.
    words = ["słowo"] * TITLE_MAX_WORDS
    assert re.fullmatch(title["pattern"], " ".join(words))
    assert not re.fullmatch(title["pattern"], " ".join([*words, "więcej"]))
    refused = await client.post(
        "/api/v1/tickets",
        headers=auth(shop_token),
        json={"title": " ".join([*words, "x"]), "body": "b"},
    )
    assert refused.status_code == 422
