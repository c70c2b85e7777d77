"""Slack -> core: thread replies, edits, deletes, files, notes, relay modes, buttons, /pomoc."""

import json
import time

from sqlmodel import select

from storage import repositories as repo
from storage.models import Message, Ticket
from tests.helpers import PNG_1X1
from tests.slack.conftest import (
    ANNA,
    BASIA,
    BOT_TOKEN,
    SECRET,
    SUPPORT,
    click,
    opened_thread,
    panel_messages,
    reply_event,
    send_event,
    signed_headers,
    slack_runtime,
    slash,
)


def all_messages(services, ticket_id: int) -> list[Message]:
    with services.db.transaction() as session:
        return repo.ticket_messages(session, ticket_id, include_notes=True)


def ticket_row(services, ticket_id: int) -> Ticket:
    with services.db.transaction() as session:
        return session.get(Ticket, ticket_id)


async def test_thread_reply_reaches_the_panel_as_plain_text(runtime, http, shop_token, fake):
    ticket_id, ts = await opened_thread(runtime, http, shop_token)
    text = "Dzień dobry, <@UBASIA> sprawdzi *jutro* &amp; <https://pomoc.pl/a|instrukcja> &lt;3"
    response = await send_event(http, reply_event(ts, text))
    assert response.status_code == 200

    last = (await panel_messages(http, shop_token, ticket_id))[-1]
    assert (last["author"], last["author_name"]) == ("agent", "Anna Nowak")
    assert last["body"] == (
        "Dzień dobry, @Basia Kowalska sprawdzi jutro & instrukcja (https://pomoc.pl/a) <3"
    )
    assert ticket_row(runtime.core, ticket_id).status == "waiting"
    # users.info is cached: one lookup per person however many messages.
    await send_event(http, reply_event(ts, "Jeszcze jedno"))
    assert len([c for c in fake.calls_of("users.info") if c.params["user"] == ANNA]) == 1


async def test_edit_and_delete_follow_the_agents_message(runtime, http, shop_token):
    ticket_id, ts = await opened_thread(runtime, http, shop_token)
    original = reply_event(ts, "Prosze o zrzut ekranu")
    await send_event(http, original)
    edited = {**original, "text": "Proszę o zrzut ekranu koszyka", "edited": {"user": ANNA}}
    await send_event(
        http,
        {
            "type": "message",
            "subtype": "message_changed",
            "channel": SUPPORT,
            "hidden": True,
            "ts": f"{time.time():.6f}",
            "message": edited,
            "previous_message": original,
        },
    )
    assert all_messages(runtime.core, ticket_id)[-1].body == "Proszę o zrzut ekranu koszyka"
    assert (await panel_messages(http, shop_token, ticket_id))[-1]["edited_at"] is not None

    await send_event(
        http,
        {
            "type": "message",
            "subtype": "message_deleted",
            "channel": SUPPORT,
            "hidden": True,
            "ts": f"{time.time():.6f}",
            "deleted_ts": original["ts"],
            "previous_message": edited,
        },
    )
    assert all_messages(runtime.core, ticket_id)[-1].deleted_at is not None
    bodies = [m["body"] for m in await panel_messages(http, shop_token, ticket_id)]
    assert "Proszę o zrzut ekranu koszyka" not in bodies


async def test_file_share_becomes_a_panel_attachment(runtime, http, shop_token, fake):
    ticket_id, ts = await opened_thread(runtime, http, shop_token)
    url = fake.add_file("F1", PNG_1X1)
    event = reply_event(
        ts,
        "Tak to powinno wyglądać",
        subtype="file_share",
        files=[
            {
                "id": "F1",
                "name": "wzor.png",
                "mimetype": "image/png",
                "size": len(PNG_1X1),
                "url_private": url,
                "url_private_download": url,
            }
        ],
    )
    assert (await send_event(http, event)).status_code == 200
    assert fake.downloads == [{"auth": f"Bearer {BOT_TOKEN}"}]
    last = (await panel_messages(http, shop_token, ticket_id))[-1]
    assert last["body"] == "Tak to powinno wyglądać"
    assert [(a["filename"], a["content_type"]) for a in last["attachments"]] == [
        ("wzor.png", "image/png")
    ]


async def test_note_is_not_relayed(runtime, http, shop_token):
    ticket_id, ts = await opened_thread(runtime, http, shop_token)
    await send_event(http, reply_event(ts, "!note klient marudzi, sprawdź logi"))
    assert all_messages(runtime.core, ticket_id)[-1].author == "note"
    bodies = [m["body"] for m in await panel_messages(http, shop_token, ticket_id)]
    assert not any("marudzi" in body for body in bodies)


async def test_explicit_relay_mode(database_url, tmp_path, clock, fake, shop_token_factory):
    runtime = slack_runtime(database_url, tmp_path, clock, fake, relay_mode="explicit")
    await runtime.adapters["slack"].start(runtime.core.desk.handle)
    try:
        async with shop_token_factory(runtime) as (http, token):
            ticket_id, ts = await opened_thread(runtime, http, token)
            await send_event(http, reply_event(ts, "to chyba ich wina, nie nasza"))
            await send_event(http, reply_event(ts, "!reply Dzień dobry, już poprawione"))
            await runtime.dispatcher.deliver_once()
            bodies = [m["body"] for m in await panel_messages(http, token, ticket_id)]
            assert "Dzień dobry, już poprawione" in bodies
            assert not any("ich wina" in body for body in bodies)
            authors = [(m.author, m.body) for m in all_messages(runtime.core, ticket_id)]
            assert ("note", "to chyba ich wina, nie nasza") in authors
    finally:
        await runtime.adapters["slack"].stop()
        runtime.core.db.dispose()


async def test_same_event_id_twice_is_applied_once(runtime, http, shop_token):
    ticket_id, ts = await opened_thread(runtime, http, shop_token)
    event = reply_event(ts, "Już sprawdzam")
    first = await send_event(http, event, event_id="EvSAME")
    retry = await send_event(
        http,
        event,
        event_id="EvSAME",
        headers={"x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout"},
    )
    assert (first.status_code, retry.status_code) == (200, 200)
    bodies = [m.body for m in all_messages(runtime.core, ticket_id)]
    assert bodies.count("Już sprawdzam") == 1


async def test_bad_and_stale_signatures_are_refused(runtime, http, shop_token):
    ticket_id, ts = await opened_thread(runtime, http, shop_token)
    forged = await send_event(http, reply_event(ts, "forged"), secret="wrong-" + SECRET)
    stale = await send_event(http, reply_event(ts, "stale"), timestamp=int(time.time()) - 600)
    assert (forged.status_code, stale.status_code) == (401, 401)
    bodies = [m.body for m in all_messages(runtime.core, ticket_id)]
    assert "forged" not in bodies and "stale" not in bodies


async def test_bots_echoes_and_top_level_messages_are_ignored(runtime, http, shop_token, fake):
    ticket_id, ts = await opened_thread(runtime, http, shop_token)
    before = len(all_messages(runtime.core, ticket_id))
    await send_event(http, reply_event(ts, "echo", user="UBOT", bot_id="BBOT"))
    await send_event(http, reply_event(ts, "inny bot", user="UOTHER", bot_id="BOTHER"))
    top = reply_event(ts, "na kanale")
    top["thread_ts"] = top["ts"]
    await send_event(http, top)
    assert len(all_messages(runtime.core, ticket_id)) == before


async def test_only_listed_agents_act(database_url, tmp_path, clock, fake, shop_token_factory):
    runtime = slack_runtime(database_url, tmp_path, clock, fake, agents=[ANNA])
    await runtime.adapters["slack"].start(runtime.core.desk.handle)
    try:
        async with shop_token_factory(runtime) as (http, token):
            ticket_id, ts = await opened_thread(runtime, http, token)
            await send_event(http, reply_event(ts, "obcy", user=BASIA))
            await send_event(http, reply_event(ts, "swoja", user=ANNA))
            bodies = [m.body for m in all_messages(runtime.core, ticket_id)]
            assert "swoja" in bodies and "obcy" not in bodies
            await click(http, fake, "pomoc_claim", ticket_id, user=BASIA)
            assert ticket_row(runtime.core, ticket_id).assignee is None
            assert "agentów" in fake.responses[-1]["text"]
    finally:
        await runtime.adapters["slack"].stop()
        runtime.core.db.dispose()


async def test_buttons(runtime, http, shop_token, fake):
    ticket_id, ts = await opened_thread(runtime, http, shop_token)

    assert (await click(http, fake, "pomoc_claim", ticket_id)).status_code == 200
    assert ticket_row(runtime.core, ticket_id).assignee == "Anna Nowak"
    assert fake.responses[-1] == {
        "text": f"Zgłoszenie #{ticket_id} przypisane do: Anna Nowak.",
        "response_type": "ephemeral",
        "replace_original": False,
    }

    await click(http, fake, "pomoc_critical", ticket_id)
    assert ticket_row(runtime.core, ticket_id).priority == "critical"
    assert fake.responses[-1]["text"] == f"Zgłoszenie #{ticket_id}: priorytet krytyczny."

    await click(http, fake, "pomoc_resolve", ticket_id)
    assert ticket_row(runtime.core, ticket_id).status == "resolved"
    assert fake.responses[-1]["response_type"] == "ephemeral"

    # The root message follows (chat.update, rendered at delivery time).
    while await runtime.dispatcher.deliver_once():
        pass
    root = fake.find(SUPPORT, ts)
    assert root["edits"] >= 1
    assert "rozwiązane" in str(root["blocks"]) and "krytyczny" in str(root["blocks"])


async def test_pomoc_slash_command(runtime, http, shop_token, fake):
    ticket_id, _ts = await opened_thread(runtime, http, shop_token)

    async def run(text: str) -> str:
        response = await slash(http, fake, text)
        assert response.status_code == 200
        assert fake.responses[-1]["response_type"] == "ephemeral"
        return fake.responses[-1]["text"]

    assert (await run("")).startswith("Polecenia:")
    assert (await run("help")).startswith("Polecenia:")
    assert await run(f"claim {ticket_id}") == f"Zgłoszenie #{ticket_id} przypisane do: Anna Nowak."
    assert (
        await run(f"assign {ticket_id} Basia") == f"Zgłoszenie #{ticket_id} przypisane do: Basia."
    )
    assert (
        await run(f"priority {ticket_id} critical")
        == f"Zgłoszenie #{ticket_id}: priorytet krytyczny."
    )
    assert "wysłany do sklepu" in await run(f"article #{ticket_id} p24-crc")
    assert (
        await run(f"resolve {ticket_id}")
        == f"Zgłoszenie #{ticket_id} rozwiązane przez: Anna Nowak."
    )
    assert (
        await run(f"reopen {ticket_id}")
        == f"Zgłoszenie #{ticket_id} ponownie otwarte przez: Anna Nowak."
    )
    assert await run("stats")
    assert (await run("bogus")).startswith("Polecenia:")
    assert "Brak zgłoszenia" in await run("claim 99999")
    row = ticket_row(runtime.core, ticket_id)
    assert (row.status, row.priority, row.assignee) == ("open", "critical", "Basia")


async def test_command_in_thread_answers_ephemerally(runtime, http, shop_token, fake):
    ticket_id, ts = await opened_thread(runtime, http, shop_token)
    await send_event(http, reply_event(ts, "!claim"))
    assert ticket_row(runtime.core, ticket_id).assignee == "Anna Nowak"
    [answer] = fake.ephemerals
    assert (answer["channel"], answer["user"], answer["thread_ts"]) == (SUPPORT, ANNA, ts)
    assert "przypisane do: Anna Nowak" in answer["text"]
    bodies = [m["body"] for m in await panel_messages(http, shop_token, ticket_id)]
    assert "!claim" not in bodies


async def test_unknown_thread_is_ignored(runtime, http):
    response = await send_event(http, reply_event("1700000000.000001", "gdzie ja jestem"))
    assert response.status_code == 200
    with runtime.core.db.transaction() as session:
        assert session.exec(select(Message)).all() == []


async def test_url_verification_challenge_is_answered(http):
    body = json.dumps({"token": "legacy", "type": "url_verification", "challenge": "c-123"})
    headers = signed_headers(body, content_type="application/json")
    response = await http.post("/slack/events", content=body, headers=headers)
    assert response.status_code == 200 and response.json() == {"challenge": "c-123"}
