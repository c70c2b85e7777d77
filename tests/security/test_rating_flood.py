"""Ratings post into the agents' thread: changing one in a loop is held to the follow-up limit."""

import pytest
from sqlmodel import select

from bot import texts
from storage.models import Message
from tests.conftest import make_config
from tests.helpers import agent_reply, auth
from tests.security.envelope import assert_envelope

LIMIT = 3


@pytest.fixture
def config(database_url, tmp_path):
    return make_config(database_url, tmp_path, panel={"max_messages_per_minute": LIMIT})


async def test_a_shop_flipping_its_rating_is_429_past_the_limit(client, services, shop_token):
    created = await client.post(
        "/api/v1/tickets", headers=auth(shop_token), json={"title": "Logo", "body": "Jak?"}
    )
    ticket_id = created.json()["id"]
    await agent_reply(services, ticket_id, "!resolve")
    url = f"/api/v1/tickets/{ticket_id}/rating"
    answers = [
        (await client.post(url, headers=auth(shop_token), json={"score": 1 + n % 2})).status_code
        for n in range(LIMIT + 2)
    ]
    assert answers == [201] + [200] * (LIMIT - 1) + [429, 429]
    refused = await client.post(url, headers=auth(shop_token), json={"score": 5})
    assert assert_envelope(refused)["detail"] == texts.RATE_LIMITS["messages"]
    with services.db.transaction() as session:
        kinds = [m.extra.get("kind") for m in session.exec(select(Message))]
    assert kinds.count("rated") + kinds.count("rating_changed") == LIMIT
