"""Answering Slack in time, redelivery after a failure, and the "send to the shop" shortcut."""

import asyncio
import time

from storage import repositories as repo
from storage.models import Ticket
from tests.slack.conftest import (
    BASIA,
    opened_thread,
    panel_messages,
    reply_event,
    reply_shortcut,
    send_event,
    slack_runtime,
)


def bodies(services, ticket_id: int) -> list[tuple[str, str]]:
    with services.db.transaction() as session:
        messages = repo.ticket_messages(session, ticket_id, include_notes=True)
        return [(m.author, m.body) for m in messages]


async def eventually(check, *, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_slow_work_is_answered_in_time_and_finishes_after(runtime, http, shop_token):
    ticket_id, ts = await opened_thread(runtime, http, shop_token)
    adapter = runtime.adapters["slack"]
    adapter.intake.ack_within = 0.1
    gate = asyncio.Event()

    async def slow_desk(event):
        await gate.wait()  # e.g. a large file download or a busy database
        return await runtime.core.desk.handle(event)

    adapter.inbound.on_event = slow_desk
    started = time.monotonic()
    response = await send_event(http, reply_event(ts, "Zaraz sprawdzę"))
    assert response.status_code == 200
    assert time.monotonic() - started < 1.0
    assert ("agent", "Zaraz sprawdzę") not in bodies(runtime.core, ticket_id)

    gate.set()
    await eventually(lambda: ("agent", "Zaraz sprawdzę") in bodies(runtime.core, ticket_id))


async def test_a_failure_after_the_answer_is_retried_from_the_queue_and_applied_once(
    runtime, http, shop_token, clock
):
    ticket_id, ts = await opened_thread(runtime, http, shop_token)
    adapter = runtime.adapters["slack"]
    real = adapter.inbound.on_event
    failures = [RuntimeError("database went away")]

    async def flaky_desk(event):
        if failures:
            raise failures.pop()
        return await real(event)

    adapter.inbound.on_event = flaky_desk
    event = reply_event(ts, "Poprawione")
    first = await send_event(http, event, event_id="EvFLAKY")
    assert first.status_code == 200  # kept before the answer: Slack need not send it again
    assert ("agent", "Poprawione") not in bodies(runtime.core, ticket_id)
    retry_headers = {"x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout"}
    second = await send_event(http, event, event_id="EvFLAKY", headers=retry_headers)
    assert second.status_code == 200  # Slack's own retry changes nothing
    clock.advance(seconds=5)  # past the queue's backoff: its worker tries again
    await eventually(lambda: ("agent", "Poprawione") in bodies(runtime.core, ticket_id))
    assert bodies(runtime.core, ticket_id).count(("agent", "Poprawione")) == 1


async def test_an_unverified_token_is_answered_503_so_slack_sends_the_event_again(
    database_url, tmp_path, clock, fake, shop_token_factory
):
    fake.fail("auth.test", status=500, error="internal_error")  # Slack down at our start
    runtime = slack_runtime(database_url, tmp_path, clock, fake)
    adapter = runtime.adapters["slack"]
    await adapter.start(runtime.core.desk.handle)
    try:
        async with shop_token_factory(runtime) as (http, token):
            ticket_id, ts = await opened_thread(runtime, http, token)
            event = reply_event(ts, "Pierwsza odpowiedz")
            refused = await send_event(http, event, event_id="EvEARLY")
            assert refused.status_code == 503  # never a 200 for an event nobody handled
            assert len(fake.calls_of("auth.test")) == 1  # refusals do not hammer Slack
            adapter._verified_at -= 10  # a few seconds later Slack sends it again
            accepted = await send_event(http, event, event_id="EvEARLY")
            assert accepted.status_code == 200
            assert ("agent", "Pierwsza odpowiedz") in bodies(runtime.core, ticket_id)
            assert len(fake.calls_of("auth.test")) == 2
    finally:
        await adapter.stop()
        runtime.core.db.dispose()


async def test_reply_shortcut_sends_a_note_to_the_shop_once(
    database_url, tmp_path, clock, fake, shop_token_factory
):
    runtime = slack_runtime(database_url, tmp_path, clock, fake, relay_mode="explicit")
    await runtime.adapters["slack"].start(runtime.core.desk.handle)
    try:
        async with shop_token_factory(runtime) as (http, token):
            ticket_id, ts = await opened_thread(runtime, http, token)
            draft = reply_event(ts, "Dzień dobry, *klucz CRC* jest w ustawieniach")
            await send_event(http, draft)
            shop_sees = [m["body"] for m in await panel_messages(http, token, ticket_id)]
            assert not any("klucz CRC" in body for body in shop_sees)

            assert (await reply_shortcut(http, fake, draft)).status_code == 200
            assert fake.responses[-1]["text"] == "Wysłano do sklepu."
            assert fake.responses[-1]["response_type"] == "ephemeral"
            await reply_shortcut(http, fake, draft)  # a second click changes nothing
            shop_sees = [m["body"] for m in await panel_messages(http, token, ticket_id)]
            assert shop_sees.count("Dzień dobry, klucz CRC jest w ustawieniach") == 1
            assert ("note", "Dzień dobry, klucz CRC jest w ustawieniach") in bodies(
                runtime.core, ticket_id
            )

            # Only one's own message, and only thread replies.
            basia = reply_event(ts, "moja notatka", user=BASIA)
            await send_event(http, basia)
            await reply_shortcut(http, fake, basia)
            assert "swoją wiadomość" in fake.responses[-1]["text"]
            root = {**draft, "ts": ts, "thread_ts": ts}
            await reply_shortcut(http, fake, root)
            assert "swoją wiadomość" in fake.responses[-1]["text"]
            shop_sees = [m["body"] for m in await panel_messages(http, token, ticket_id)]
            assert "moja notatka" not in shop_sees
    finally:
        await runtime.adapters["slack"].stop()
        runtime.core.db.dispose()


async def test_reply_shortcut_is_refused_where_everything_is_relayed(
    runtime, http, shop_token, fake
):
    ticket_id, ts = await opened_thread(runtime, http, shop_token)
    message = reply_event(ts, "Już poprawione")
    await send_event(http, message)
    await reply_shortcut(http, fake, message)
    assert "i tak trafia do sklepu" in fake.responses[-1]["text"]
    shop_sees = [m["body"] for m in await panel_messages(http, shop_token, ticket_id)]
    assert shop_sees.count("Już poprawione") == 1


async def test_a_lost_ephemeral_answer_does_not_undo_or_repeat_the_command(
    runtime, http, shop_token, fake
):
    ticket_id, ts = await opened_thread(runtime, http, shop_token)
    fake.fail("chat.postEphemeral", status=500, error="internal_error")
    response = await send_event(http, reply_event(ts, "!claim"))
    assert response.status_code == 200  # no redelivery: the claim is applied
    with runtime.core.db.transaction() as session:
        assert session.get(Ticket, ticket_id).assignee == "Anna Nowak"
