"""`!move` in a Slack thread through the real bolt app: the ticket's thread follows it."""

import asyncio
import json
import time

from storage import repositories as repo
from storage.models import Ticket
from tests.helpers import auth
from tests.slack.conftest import (
    ANNA,
    BASIA,
    PAYMENTS,
    SUPPORT,
    opened_thread,
    reply_event,
    send_event,
    slash,
)


async def eventually(check, *, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def deliver(runtime) -> None:
    while await runtime.dispatcher.deliver_once():
        pass


def shop_reads(runtime, ticket_id: int) -> list[tuple[str, str]]:
    with runtime.core.db.transaction() as session:
        rows = repo.ticket_messages(session, ticket_id, include_notes=False)
        return [(m.author, m.body) for m in rows]


def department(runtime, ticket_id: int) -> str:
    with runtime.core.db.transaction() as session:
        return session.get(Ticket, ticket_id).department


async def test_a_thread_moved_to_another_channel_relays_there_and_points_there(
    runtime, http, shop_token, fake
):
    ticket_id, ts = await opened_thread(runtime, http, shop_token)  # in SUPPORT (other)
    assert (await send_event(http, reply_event(ts, "!move payments"))).status_code == 200
    await eventually(lambda: department(runtime, ticket_id) == "payments")
    await eventually(lambda: len(fake.ephemerals) == 1)
    assert fake.ephemerals[0]["text"] == f"Zgłoszenie #{ticket_id} przeniesione do działu payments."
    await deliver(runtime)

    (new_root,) = fake.roots(PAYMENTS)
    assert "Przeniesione z działu other przez: Anna Nowak." in json.dumps(
        new_root["blocks"], ensure_ascii=False
    )
    away = (
        "Przeniesione do działu payments przez: Anna Nowak; dalej w nowym wątku na CPAYMENTS "
        "(slack)."
    )
    (told,) = fake.replies(SUPPORT, ts)
    assert told["text"].endswith(away)
    old_root = fake.find(SUPPORT, ts)
    assert away in json.dumps(old_root["blocks"], ensure_ascii=False)

    # The shop's follow-up reaches the new thread only; an answer from there reaches the shop.
    response = await http.post(
        f"/api/v1/tickets/{ticket_id}/messages", headers=auth(shop_token), data={"body": "I co?"}
    )
    assert response.status_code == 201, response.text
    await deliver(runtime)
    assert [m["text"] for m in fake.replies(SUPPORT, ts)] == [told["text"]]
    assert "I co?" in fake.replies(PAYMENTS, new_root["ts"])[-1]["text"]
    answer = reply_event(new_root["ts"], "Już sprawdzam płatność", channel=PAYMENTS)
    assert (await send_event(http, answer)).status_code == 200

    await eventually(
        lambda: shop_reads(runtime, ticket_id)[-1] == ("agent", "Już sprawdzam płatność")
    )

    # Writing in the thread the ticket left: pointed to the new one, nothing reaches the shop.
    assert (await send_event(http, reply_event(ts, "Sprawdzę u kuriera"))).status_code == 200
    await eventually(lambda: len(fake.ephemerals) == 2)
    assert fake.ephemerals[1]["text"].startswith(
        f"Zgłoszenie #{ticket_id} przeniesiono do działu payments; jest teraz w nowym wątku na "
        "CPAYMENTS (slack)."
    )
    assert ("agent", "Sprawdzę u kuriera") not in shop_reads(runtime, ticket_id)


async def test_slash_move_is_for_members_of_the_tickets_channel_only(
    runtime, http, shop_token, fake
):
    fake.members = {SUPPORT: {ANNA, "UBOT"}, PAYMENTS: {BASIA, "UBOT"}}
    ticket_id, _ts = await opened_thread(runtime, http, shop_token)  # in SUPPORT

    async def answer(text: str, user: str) -> str:
        answered = len(fake.responses)
        assert (await slash(http, fake, text, user=user)).status_code == 200
        await eventually(
            lambda: len(fake.responses) > answered
        )  # late when the work outlasts the ack
        return fake.responses[-1]["text"]

    assert await answer(f"move {ticket_id} payments", BASIA) == (
        f"Zgłoszenie #{ticket_id} należy do kanału, którego nie jesteś członkiem: nie możesz go "
        "zmieniać."
    )
    assert department(runtime, ticket_id) == "other"
    assert await answer(f"move {ticket_id} marketing", ANNA) == (
        "Nie ma działu „marketing”. Działy: other, payments."
    )
    assert await answer(f"move #{ticket_id} Payments", ANNA) == (
        f"Zgłoszenie #{ticket_id} przeniesione do działu payments."
    )
    assert department(runtime, ticket_id) == "payments"
