"""Webhooks out, to a real local HTTP receiver that checks every signature: the events of a
ticket's life, each once and in order, through the outbox (outages wait, nothing is lost)."""

import pytest
from sqlmodel import select

from bot.config import Secrets
from bot.vocabulary import OutboxState, Platform
from storage.models import OutboxItem
from tests.conftest import make_config
from tests.helpers import agent_reply, auth
from tests.platform.receiver import SECRET, Receiver


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def config(database_url, tmp_path, receiver):
    return make_config(
        database_url,
        tmp_path,
        webhooks={"endpoints": {"platform": receiver.url}},
        outbox={"probe_first_seconds": 0.01, "probe_max_seconds": 0.01},
    )


@pytest.fixture
def secrets():
    return Secrets.from_env({"POMOC_WEBHOOK_SECRET": SECRET})


def webhook_items(services) -> list[OutboxItem]:
    with services.db.transaction() as session:
        query = select(OutboxItem).where(OutboxItem.platform == Platform.WEBHOOK)
        return list(session.exec(query.order_by(OutboxItem.id)))


async def drain(runtime, clock, rounds: int = 20) -> None:
    for _ in range(rounds):
        clock.advance(seconds=700)  # past any backoff or probe delay
        await runtime.dispatcher.deliver_once()


async def test_a_tickets_life_reaches_the_platform_signed_once_and_in_order(
    client, runtime, services, receiver, shop_token, clock
):
    created = await client.post(
        "/api/v1/tickets", headers=auth(shop_token), json={"title": "Zmiana szablonu", "body": "?"}
    )
    ticket = created.json()
    await agent_reply(services, ticket["id"], "Dzień dobry, już pomagam")
    await agent_reply(services, ticket["id"], "!priority critical")
    await client.post(f"/api/v1/tickets/{ticket['id']}/read", headers=auth(shop_token))
    await drain(runtime, clock)

    assert receiver.refused == []
    assert {item.state for item in webhook_items(services)} == {OutboxState.DONE}
    assert receiver.types_for(ticket["id"]) == [
        "ticket.created",
        "message.created",
        "ticket.updated",
        "ticket.unread_changed",
        "ticket.updated",
        "ticket.unread_changed",
    ]
    (first,) = receiver.of_type("ticket.created")
    assert first["data"]["ticket"]["status"] == "open" and first["shop"]["id"] == 1
    (reply,) = receiver.of_type("message.created")
    assert reply["data"]["message"]["body"] == "Dzień dobry, już pomagam"
    status, priority = receiver.of_type("ticket.updated")
    assert status["data"]["changes"] == {"status": ["open", "waiting"]}
    assert priority["data"]["changes"] == {"priority": ["normal", "critical"]}
    unread, read = receiver.of_type("ticket.unread_changed")
    assert (unread["data"]["unread"], unread["data"]["shop_unread"]) == (True, 1)
    assert (read["data"]["unread"], read["data"]["shop_unread"]) == (False, 0)
    assert len(receiver.deliveries) == len(receiver.events)  # no repeats when nothing failed


async def test_an_outage_holds_the_events_and_loses_none(
    client, runtime, services, receiver, shop_token, clock
):
    receiver.stop()
    ids = []
    for title in ("Zmiana szablonu", "Zmiana logo"):
        response = await client.post(
            "/api/v1/tickets", headers=auth(shop_token), json={"title": title, "body": "?"}
        )
        ids.append(response.json()["id"])
    await agent_reply(services, ids[0], "Odpowiedź")
    await drain(runtime, clock, rounds=3)
    assert receiver.events == {}
    assert {item.state for item in webhook_items(services)} == {OutboxState.PENDING}

    receiver.start()
    receiver.status = 503  # up, but failing: retried with backoff
    await drain(runtime, clock, rounds=3)
    assert receiver.events == {}
    receiver.status = 204
    await drain(runtime, clock)
    items = webhook_items(services)
    assert {item.state for item in items} == {OutboxState.DONE}
    assert set(receiver.events) == {item.payload["event_id"] for item in items}
    assert receiver.types_for(ids[0])[:2] == ["ticket.created", "message.created"]
    assert receiver.types_for(ids[1]) == ["ticket.created"]


async def test_a_receiver_with_another_secret_refuses_and_the_events_wait(
    client, runtime, services, shop_token, clock, receiver
):
    receiver.verifier = Receiver("whsec_" + "b3RoZXItc2VjcmV0LTEyMzQ1Njc4OTAxMjM0").verifier
    await client.post(
        "/api/v1/tickets", headers=auth(shop_token), json={"title": "Logo", "body": "?"}
    )
    await drain(runtime, clock, rounds=3)
    assert receiver.refused and receiver.events == {}
    assert {item.state for item in webhook_items(services)} == {OutboxState.PENDING}


def test_pomoc_webhooks_test_sends_a_signed_event(receiver, monkeypatch):
    from typer.testing import CliRunner

    from pomoc.cli import app as cli

    monkeypatch.setenv("POMOC_WEBHOOK_SECRET", SECRET)
    sent = CliRunner().invoke(cli, ["webhooks", "test", receiver.url])
    assert sent.exit_code == 0, sent.output
    (event,) = receiver.events.values()
    assert event["type"] == "webhook.test" and f"answered 204 to {event['id']}" in sent.output
    receiver.stop()
    down = CliRunner().invoke(cli, ["webhooks", "test", receiver.url])
    assert down.exit_code == 1 and "unreachable" in down.output


async def test_each_rating_and_change_is_one_ticket_rated_event(
    client, runtime, services, receiver, shop_token, clock
):
    created = await client.post(
        "/api/v1/tickets", headers=auth(shop_token), json={"title": "Zmiana logo", "body": "?"}
    )
    ticket_id = created.json()["id"]
    await agent_reply(services, ticket_id, "!resolve")
    url = f"/api/v1/tickets/{ticket_id}/rating"
    given_at = clock.now().isoformat()
    await client.post(url, headers=auth(shop_token), json={"score": 2, "comment": "Długo"})
    clock.advance(minutes=1)
    changed_at = clock.now().isoformat()
    await client.post(url, headers=auth(shop_token), json={"score": 4})
    await client.post(url, headers=auth(shop_token), json={"score": 4})  # no change: no event
    await drain(runtime, clock)

    assert receiver.refused == []
    first, second = receiver.of_type("ticket.rated")
    assert first["shop"]["id"] == 1
    assert first["data"] == {
        "ticket_id": ticket_id,
        "rating": {
            "score": 2,
            "comment": "Długo",
            "created_at": given_at,
            "updated_at": given_at,
        },
    }
    assert second["data"]["rating"] == {
        "score": 4,
        "comment": None,
        "created_at": given_at,
        "updated_at": changed_at,
    }
    assert receiver.types_for(ticket_id)[-2:] == ["ticket.rated", "ticket.rated"]
