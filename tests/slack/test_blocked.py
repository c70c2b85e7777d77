"""Fixable Slack errors hold a channel's deliveries for an operator; once fixed, all go out once."""

import logging
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
from sqlmodel import col, select

from bot.vocabulary import OutboxState
from pomoc.runtime import Runtime, build_core
from storage import blocks
from storage.models import OutboxItem
from tests.conftest import make_config
from tests.fakes.triage import KeywordTriager
from tests.helpers import auth
from tests.slack.conftest import PAYMENTS, SUPPORT, slack_secrets

MANAGERS = "CMGR"
METRICS_TOKEN = "metrics-test-token"


@pytest.fixture
def runtime(database_url, tmp_path, clock, fake) -> Runtime:
    config = make_config(
        database_url,
        tmp_path,
        departments={
            "payments": {"platform": "slack", "channel": PAYMENTS},
            "other": {"platform": "slack", "channel": SUPPORT},
        },
        slack={"enabled": True, "api_base_url": fake.api_url, "interval": 0.0},
        managers={"platform": "slack", "channel": MANAGERS},
        chat={"fallback_department": "payments", "fallback_after_minutes": 15},
    )
    secrets = replace(slack_secrets(), metrics_token=METRICS_TOKEN)
    core = build_core(config, secrets, clock=clock, triager=KeywordTriager(), migrate=False)
    yield Runtime(core)
    core.db.dispose()


@pytest.fixture
async def http(runtime) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=runtime.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://pomoc") as client:
        yield client


@pytest.fixture
def token(runtime) -> str:
    from pomoc.cli import create_shop

    return create_shop(runtime.core.config.database.url, "Sklep Ani")


async def open_ticket(http, token: str, title: str, body: str = "Pytanie?") -> int:
    response = await http.post(
        "/api/v1/tickets", headers=auth(token), data={"title": title, "body": body}
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def follow_up(http, token: str, ticket_id: int, body: str) -> None:
    response = await http.post(
        f"/api/v1/tickets/{ticket_id}/messages", headers=auth(token), data={"body": body}
    )
    assert response.status_code == 201, response.text


async def drain(runtime) -> None:
    while await runtime.dispatcher.deliver_once():
        pass


def items(runtime) -> list[OutboxItem]:
    with runtime.core.db.transaction() as session:
        return list(session.exec(select(OutboxItem).order_by(col(OutboxItem.id))))


def shown(fake, channel: str) -> list[str]:
    """What the channel shows, roots and their replies, in posting order."""
    return [m["text"] for m in fake.messages.get(channel, [])]


@pytest.mark.parametrize("refusal", ["outside_channels", "archived_channels", "missing_channels"])
async def test_a_channel_the_bot_cannot_post_in_waits_and_then_gets_everything_once_in_order(
    runtime, http, token, fake, clock, refusal
):
    getattr(fake, refusal).add(SUPPORT)
    first = await open_ticket(http, token, "Zmiana logo")
    await follow_up(http, token, first, "Jeszcze jedno")
    second = await open_ticket(http, token, "Szablon sklepu")
    for _ in range(3):  # probes on a capped backoff, while nobody has fixed it
        await drain(runtime)
        clock.advance(seconds=100)  # (within the 15 minutes before the fallback route)
    assert {item.state for item in items(runtime) if item.channel == SUPPORT} == {"pending"}
    assert shown(fake, SUPPORT) == []
    # The shop is not told an agent has it: the thread does not exist yet.
    waiting = (await http.get(f"/api/v1/tickets/{first}", headers=auth(token))).json()
    assert (waiting["status"], waiting["status_label"]) == ("open", "Czeka na konsultanta")
    alerts = shown(fake, MANAGERS)
    assert len(alerts) == 1 and SUPPORT in alerts[0]  # told once, with what to do

    metrics = (await http.get("/metrics", headers=auth(METRICS_TOKEN))).text
    assert 'pomoc_blocked_channels{platform="slack"} 1.0' in metrics
    ready = (await http.get("/readyz")).json()
    assert ready["status"] == "degraded" and SUPPORT in ready["problems"][0]

    getattr(fake, refusal).discard(SUPPORT)  # the operator invites the bot / fixes the channel
    clock.advance(seconds=400)
    await drain(runtime)
    roots = fake.roots(SUPPORT)
    assert [f"#{first}" in r["text"] for r in roots] == [True, False]
    assert [f"#{second}" in r["text"] for r in roots] == [False, True]
    assert [r["text"] for r in fake.replies(SUPPORT, roots[0]["ts"])][-1].endswith("Jeszcze jedno")
    assert {item.state for item in items(runtime)} == {OutboxState.DONE}
    listed = (await http.get("/api/v1/tickets", headers=auth(token))).json()["tickets"]
    assert {t["status_label"] for t in listed} == {"U konsultanta"}
    keys = [item.idempotency_key for item in items(runtime)]
    assert len(keys) == len(set(keys))
    assert len(shown(fake, MANAGERS)) == 2 and "znowu" in shown(fake, MANAGERS)[1]
    assert (await http.get("/readyz")).json() == {"status": "ok", "problems": []}


async def test_a_revoked_token_holds_every_channel_and_only_the_log_can_say_so(
    runtime, http, token, fake, clock, caplog
):
    fake.token_error = "token_revoked"
    ticket = await open_ticket(http, token, "Zmiana logo")
    paid = await open_ticket(http, token, "Awaria platnosci", body="Nikt nie moze zaplacic")
    with caplog.at_level(logging.ERROR):
        await drain(runtime)
    assert any("token_revoked" in r.getMessage() for r in caplog.records)
    # The managers' channel is on the broken workspace: nothing can be announced there.
    assert any("managers' channel unreachable" in r.getMessage() for r in caplog.records)
    with runtime.core.db.transaction() as session:
        assert [(b.platform, b.channel, b.code) for b in blocks.blocked_channels(session)] == [
            ("slack", "*", "token_revoked")
        ]
    fake.token_error = None  # a new token was installed
    clock.advance(seconds=60)  # the next probe
    await drain(runtime)
    assert f"#{ticket}" in fake.roots(SUPPORT)[0]["text"]
    assert f"#{paid}" in fake.roots(PAYMENTS)[0]["text"]
    assert {item.state for item in items(runtime)} == {OutboxState.DONE}


async def test_a_department_blocked_too_long_sends_new_tickets_to_the_fallback_and_back(
    runtime, http, token, fake, clock
):
    fake.outside_channels.add(SUPPORT)
    early = await open_ticket(http, token, "Zmiana logo")
    await drain(runtime)
    clock.advance(minutes=16)  # longer than fallback_after_minutes
    late = await open_ticket(http, token, "Zmiana stopki")
    await follow_up(http, token, late, "Dopisuje szczegoly")
    await drain(runtime)
    roots = fake.roots(PAYMENTS)
    assert [f"#{early}" in r["text"] or f"#{late}" in r["text"] for r in roots] == [True, True]
    blocks = str([r["blocks"] for r in roots])
    assert "niedostępny" in blocks and SUPPORT in blocks and "not_in_channel" in blocks
    late_root = next(r for r in roots if f"#{late}" in r["text"])
    assert fake.replies(PAYMENTS, late_root["ts"])[-1]["text"].endswith("Dopisuje szczegoly")

    fake.outside_channels.discard(SUPPORT)  # fixed: the department's own channel again
    clock.advance(seconds=400)
    await drain(runtime)
    after = await open_ticket(http, token, "Zmiana kolorow")
    await drain(runtime)
    assert [f"#{after}" in r["text"] for r in fake.roots(SUPPORT)] == [True]


async def test_a_deleted_root_gets_a_new_one_saying_so_and_the_conversation_goes_on_there(
    runtime, http, token, fake, clock
):
    ticket = await open_ticket(http, token, "Zmiana logo")
    await drain(runtime)
    (old_root,) = fake.roots(SUPPORT)
    fake.delete_root(SUPPORT, old_root["ts"])  # someone deleted the ticket's root in Slack
    await follow_up(http, token, ticket, "Czy ktos to widzi?")
    await follow_up(http, token, ticket, "Halo")
    await drain(runtime)
    (new_root,) = fake.roots(SUPPORT)
    assert new_root["ts"] != old_root["ts"] and f"#{ticket}" in new_root["text"]
    assert "usunięty" in str(new_root["blocks"])
    replies = [m["text"] for m in fake.replies(SUPPORT, new_root["ts"])]
    assert [r.rsplit(": ", 1)[-1] for r in replies] == ["Czy ktos to widzi?", "Halo"]
    states = {item.state for item in items(runtime)}
    assert states == {OutboxState.DONE, OutboxState.REPLACED}
