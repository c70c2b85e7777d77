"""Idempotency-Key: a retried create is the first answer again, with no second ticket or post."""

import asyncio
from datetime import timedelta

import httpx
import pytest
from sqlmodel import func, select

from bot.config import Secrets
from pomoc.runtime import Runtime, build_core
from storage.models import IdempotencyRecord, Message, Ticket
from tests.fakes.chat import FakeChat
from tests.fakes.triage import KeywordTriager
from tests.helpers import auth, png
from tests.security.envelope import assert_envelope


def count(services, model) -> int:
    with services.db.transaction() as session:
        return session.exec(select(func.count()).select_from(model)).one()


async def test_a_retried_create_answers_the_first_response_and_does_nothing(
    client, shop_token, services, runtime, chat
):
    headers = {**auth(shop_token), "Idempotency-Key": "create-1"}
    body = {"title": "Zmiana szablonu", "body": "Jak zmienić szablon?"}
    first = await client.post("/api/v1/tickets", headers=headers, json=body)
    assert first.status_code == 201
    again = await client.post("/api/v1/tickets", headers=headers, json=body)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert count(services, Ticket) == 1
    await runtime.dispatcher.deliver_once()
    await runtime.dispatcher.deliver_once()
    assert len(chat.threads) == 1  # one thread in the chat, not two


async def test_the_same_key_with_another_request_is_422(client, shop_token, services):
    headers = {**auth(shop_token), "Idempotency-Key": "k"}
    await client.post("/api/v1/tickets", headers=headers, json={"title": "Logo", "body": "a"})
    other = await client.post(
        "/api/v1/tickets", headers=headers, json={"title": "Logo", "body": "b"}
    )
    assert other.status_code == 422
    assert "Idempotency-Key" in assert_envelope(other)["detail"]
    assert count(services, Ticket) == 1


async def test_resending_the_same_multipart_with_another_boundary_is_the_same_request(
    client, shop_token, services
):
    ticket = (
        await client.post(
            "/api/v1/tickets", headers=auth(shop_token), json={"title": "Logo", "body": "x"}
        )
    ).json()
    url = f"/api/v1/tickets/{ticket['id']}/messages"
    headers = {**auth(shop_token), "Idempotency-Key": "follow-1"}
    first = await client.post(
        url, headers=headers, data={"body": "Zrzut"}, files=[("files", png())]
    )
    second = await client.post(
        url, headers=headers, data={"body": "Zrzut"}, files=[("files", png())]
    )
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert count(services, Message) == 3  # the first message, the bot's, one follow-up


async def test_a_refused_request_leaves_the_key_free_for_a_corrected_one(client, shop_token):
    headers = {**auth(shop_token), "Idempotency-Key": "fix-me"}
    wrong = await client.post("/api/v1/tickets", headers=headers, json={"title": "", "body": "x"})
    assert wrong.status_code == 422
    fixed = await client.post(
        "/api/v1/tickets", headers=headers, json={"title": "Logo", "body": "x"}
    )
    assert fixed.status_code == 201


@pytest.mark.parametrize("key", ["", "x" * 256, "zły-klucz"])
async def test_malformed_keys_are_400(client, shop_token, key):
    headers = {**auth(shop_token), "Idempotency-Key": key.encode()}
    response = await client.post(
        "/api/v1/tickets", headers=headers, json={"title": "a", "body": "b"}
    )
    assert response.status_code == 400
    assert_envelope(response)


async def test_keys_are_per_shop_and_kept_for_a_day(
    client, shop_token, other_token, services, clock
):
    body = {"title": "Logo", "body": "x"}
    mine = await client.post(
        "/api/v1/tickets", headers={**auth(shop_token), "Idempotency-Key": "a"}, json=body
    )
    theirs = await client.post(
        "/api/v1/tickets", headers={**auth(other_token), "Idempotency-Key": "a"}, json=body
    )
    assert mine.json()["id"] != theirs.json()["id"]
    clock.advance(hours=24, seconds=1)
    later = await client.post(
        "/api/v1/tickets", headers={**auth(shop_token), "Idempotency-Key": "a"}, json=body
    )
    assert later.status_code == 201 and later.json()["id"] not in (
        mine.json()["id"],
        theirs.json()["id"],
    )
    assert count(services, IdempotencyRecord) == 1  # both expired ones were pruned


async def test_two_instances_racing_on_one_key_make_one_ticket(config, clock, services, shop_token):
    """Two Runtimes (as two processes) on one database; the same create sent to both at once."""
    other = build_core(
        config, Secrets.from_env({}), clock=clock, triager=KeywordTriager(), migrate=False
    )
    apps = [
        Runtime(services, adapters={"matrix": FakeChat()}).app,
        Runtime(other, adapters={"matrix": FakeChat()}).app,
    ]
    headers = {**auth(shop_token), "Idempotency-Key": "race"}
    body = {"title": "Zmiana szablonu", "body": "Jak zmienić szablon?"}
    clients = [
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://panel")
        for app in apps
    ]
    try:
        answers = await asyncio.gather(
            *(c.post("/api/v1/tickets", headers=headers, json=body) for c in clients * 3)
        )
        statuses = sorted(a.status_code for a in answers)
        assert set(statuses) <= {201, 409}, [a.text for a in answers]
        assert count(services, Ticket) == 1
        # Once the first is answered, every retry on either instance gets that answer.
        replays = [await c.post("/api/v1/tickets", headers=headers, json=body) for c in clients]
        created = next(a for a in answers if a.status_code == 201)
        assert all(r.status_code == 201 and r.json() == created.json() for r in replays)
        conflict = next((a for a in answers if a.status_code == 409), None)
        if conflict is not None:
            assert int(conflict.headers["retry-after"]) >= 1
    finally:
        for c in clients:
            await c.aclose()
        other.db.dispose()


@pytest.mark.parametrize(
    ("lock_left", "message", "retry_after"),
    [
        (30, "jeszcze", "30"),  # the first request applied its change and is still answering
        (-1, "zostało już wykonane", None),  # it applied, then died before recording the answer
    ],
)
async def test_a_retry_while_the_first_is_applied_but_unanswered(
    client, shop_token, services, clock, lock_left, message, retry_after
):
    headers = {**auth(shop_token), "Idempotency-Key": "applied-1"}
    body = {"title": "Zmiana szablonu", "body": "Jak zmienić szablon?"}
    assert (await client.post("/api/v1/tickets", headers=headers, json=body)).status_code == 201
    with services.db.transaction() as session:
        record = session.exec(select(IdempotencyRecord)).one()
        record.state, record.status_code, record.response = "applied", None, None
        record.locked_until = clock.now() + timedelta(seconds=lock_left)
        session.add(record)
    again = await client.post("/api/v1/tickets", headers=headers, json=body)
    assert again.status_code == 409
    assert again.headers.get("retry-after") == retry_after
    assert message in again.text
    assert count(services, Ticket) == 1
