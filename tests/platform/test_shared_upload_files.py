"""Uploads share the content-addressed file store with attachments: deleting the bytes of a
purged ticket or of an expired upload must never take those of a live upload token."""

import pytest

from bot.housekeeping import Housekeeper
from bot.lifecycle import Status
from storage.models import Ticket
from tests.conftest import make_config
from tests.helpers import auth, png


@pytest.fixture
def config(database_url, tmp_path):
    return make_config(database_url, tmp_path, panel={"max_new_tickets_per_hour": 1000})


async def upload(client, token: str) -> str:
    response = await client.post("/api/v1/uploads", headers=auth(token), files={"file": png()})
    assert response.status_code == 201, response.text
    return response.json()["token"]


async def open_with(client, token: str, upload_token: str):
    return await client.post(
        "/api/v1/tickets",
        headers=auth(token),
        json={"title": "Logo", "body": "W załączniku", "uploads": [upload_token]},
    )


async def test_a_purge_keeps_the_bytes_of_a_live_upload_with_the_same_content(
    client, shop_token, services, clock
):
    old = await client.post(
        "/api/v1/tickets",
        headers=auth(shop_token),
        data={"title": "Stare logo", "body": "x"},
        files={"files": png()},
    )
    assert old.status_code == 201, old.text
    with services.db.transaction() as session:
        ticket = session.get(Ticket, old.json()["id"])
        ticket.status, ticket.resolved_at = Status.RESOLVED, clock.now()
    clock.advance(days=services.config.retention.resolved_days, minutes=1)
    fresh = await upload(client, shop_token)  # the same screenshot again

    swept = Housekeeper(services.ctx).run()

    assert (swept.purged, swept.files_deleted) == (1, 0)
    created = await open_with(client, shop_token, fresh)
    assert created.status_code == 201, created.text
    assert len(created.json()["messages"][0]["attachments"]) == 1


async def test_forgetting_an_expired_upload_keeps_the_bytes_of_a_new_one_with_the_same_content(
    client, shop_token, clock
):
    await upload(client, shop_token)
    clock.advance(hours=1, seconds=1)
    fresh = await upload(client, shop_token)  # forgets the expired one while storing this one

    created = await open_with(client, shop_token, fresh)
    assert created.status_code == 201, created.text
