"""Every endpoint of the published spec keeps shops apart: another shop's ticket is a 404."""

# Every endpoint of the published spec keeps shops apart: another shop's ticket or attachment is 404
# (it looks missing, never forbidden), and no token at all is 401.

import pytest

from bot import texts
from tests.helpers import auth, png
from tests.security.envelope import assert_envelope
from tests.security.spec import operations

KNOWN = {
    ("get", "/api/v1/tickets/{ticket_id}"),
    ("post", "/api/v1/tickets/{ticket_id}/messages"),
    ("post", "/api/v1/tickets/{ticket_id}/read"),
    ("post", "/api/v1/tickets/{ticket_id}/feedback"),
    ("post", "/api/v1/tickets/{ticket_id}/rating"),
    ("get", "/api/v1/tickets/{ticket_id}/attachments/{attachment_id}"),
}
ID_PARAMS = {"ticket_id", "attachment_id"}
BAD_HEADERS = [
    {},
    {"Authorization": "Bearer "},
    {"Authorization": "Bearer not-a-real-token"},
    {"Authorization": "Basic c2tsZXA6aGFzbG8="},
    {"Authorization": "bearer"},
]


@pytest.fixture
async def spec(client) -> list:
    return operations((await client.get("/openapi.json")).json())


@pytest.fixture
async def victim(client, shop_token) -> dict:
    """Shop A's ticket, waiting for feedback on suggestions, with an attachment."""
    response = await client.post(
        "/api/v1/tickets",
        headers=auth(shop_token),
        data={"title": "Blad p24", "body": "Nie dziala platnosc"},
        files=[("files", png())],
    )
    assert response.status_code == 201, response.text
    return response.json()


async def owner_view(client, token, ticket_id) -> dict:
    return (await client.get(f"/api/v1/tickets/{ticket_id}", headers=auth(token))).json()


async def test_another_shops_ids_are_404_on_every_endpoint(
    client, spec, victim, shop_token, other_token
):
    targeted = [op for op in spec if op.params & ID_PARAMS]
    assert {(op.method, op.path) for op in targeted} >= KNOWN
    own = (
        await client.post(
            "/api/v1/tickets",
            headers=auth(other_token),
            data={"title": "Moje", "body": "Moj wlasny problem"},
        )
    ).json()
    victim_ids = {
        "ticket_id": victim["id"],
        "attachment_id": victim["messages"][0]["attachments"][0]["id"],
    }
    before = await owner_view(client, shop_token, victim["id"])
    for op in targeted:
        combos = [victim_ids]
        if "attachment_id" in op.params:  # also its own ticket with A's attachment
            combos.append({**victim_ids, "ticket_id": own["id"]})
        for ids in combos:
            url = op.path.format(**{name: ids[name] for name in op.params})
            response = await client.request(
                op.method, url, headers=auth(other_token), **op.request()
            )
            assert response.status_code == 404, (op.method, url, response.text)
            assert assert_envelope(response)["detail"] == texts.NOT_FOUND
            assert victim["title"] not in response.text
    # Nothing the other shop sent changed A's ticket.
    assert await owner_view(client, shop_token, victim["id"]) == before


async def test_every_api_endpoint_refuses_a_missing_or_wrong_token(client, spec, victim):
    api = [op for op in spec if op.path.startswith("/api/v1/")]
    assert KNOWN | {("post", "/api/v1/tickets"), ("get", "/api/v1/unread")} <= {
        (op.method, op.path) for op in api
    }
    ids = {"ticket_id": victim["id"], "attachment_id": 1, "external_id": "sklep-1"}
    for op in api:
        url = op.path.format(**{name: ids[name] for name in op.params})
        for headers in BAD_HEADERS:
            response = await client.request(op.method, url, headers=headers, **op.request())
            assert response.status_code == 401, (op.method, url, headers, response.text)
            assert assert_envelope(response)["detail"] == texts.UNAUTHORIZED
            assert response.headers["www-authenticate"] == "Bearer"
