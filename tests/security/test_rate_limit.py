"""The hourly limit on new tickets is per shop: 429 with Retry-After, others unaffected."""

import pytest

from bot import texts
from tests.conftest import make_config
from tests.helpers import auth
from tests.security.envelope import assert_envelope

LIMIT = 3


@pytest.fixture
def config(database_url, tmp_path):
    return make_config(database_url, tmp_path, panel={"max_new_tickets_per_hour": LIMIT})


async def create(client, token, n: int):
    return await client.post(
        "/api/v1/tickets", headers=auth(token), data={"title": f"Problem {n}", "body": "Opis"}
    )


async def test_flood_is_429_for_that_shop_only_and_lifts_after_an_hour(
    client, shop_token, other_token, clock
):
    for n in range(LIMIT):
        assert (await create(client, shop_token, n)).status_code == 201
        clock.advance(minutes=10)
    refused = await create(client, shop_token, LIMIT)
    assert refused.status_code == 429
    assert assert_envelope(refused)["detail"] == texts.RATE_LIMITED
    assert int(refused.headers["retry-after"]) > 0

    assert (await create(client, other_token, 0)).status_code == 201
    # Follow-ups on existing tickets are not new tickets: still allowed.
    listed = (await client.get("/api/v1/tickets", headers=auth(shop_token))).json()
    follow = await client.post(
        f"/api/v1/tickets/{listed['tickets'][0]['id']}/messages",
        headers=auth(shop_token),
        data={"body": "Dopisek"},
    )
    assert follow.status_code == 201, follow.text
    assert len(listed["tickets"]) == LIMIT

    clock.advance(minutes=31)  # the first ticket is now more than an hour old
    assert (await create(client, shop_token, LIMIT + 1)).status_code == 201
    assert (await create(client, shop_token, LIMIT + 2)).status_code == 429
