"""The Matrix adapter against a real Synapse: threads, relays, commands, restarts, outages."""

import asyncio
import io

import httpx
import pytest
from nio import JoinedMembersResponse
from sqlmodel import select

from bot.errors import DeliveryError
from storage.models import InboundEvent, Message, OutboxItem, ThreadLink
from tests.helpers import PNG_1X1, png
from tests.matrix.conftest import _true, build_harness, close_harness, eventually


async def test_ticket_opens_a_thread_and_the_conversation_flows_both_ways(matrix):
    ticket_id = await matrix.open_ticket("Nie dziala koszyk w sklepie")
    root = await matrix.root(ticket_id)
    assert "Nie dziala koszyk w sklepie" in root.body
    assert root.sender == matrix.adapter.user_id

    await matrix.anna.reply(matrix.room_id, root.event_id, "Juz sprawdzam koszyk")
    seen = await matrix.shop_sees(ticket_id, lambda m: m["body"] == "Juz sprawdzam koszyk")
    assert (seen["author"], seen["author_name"]) == ("agent", "Anna z supportu")

    await matrix.shop_writes(ticket_id, "Dziekuje, czekam")
    follow_up = await matrix.in_thread(root, lambda m: "Dziekuje, czekam" in m.body)
    assert "Sklep Ani" in follow_up.body


async def content_of(harness, event_id: str) -> dict:
    response = await harness.anna.client.room_get_event(harness.room_id, event_id)
    return response.event.source["content"]


def stored(harness, **where) -> list[Message]:
    with harness.services.db.transaction() as session:
        query = select(Message)
        for name, value in where.items():
            query = query.where(getattr(Message, name) == value)
        return list(session.exec(query))


async def processed(harness, body: str, author: str | None = None) -> list[Message]:
    """Wait until Pomoc stored a message with this body (any author unless given)."""

    async def check() -> list[Message]:
        rows = stored(harness, body=body)
        return [m for m in rows if author is None or m.author == author]

    return await eventually(check)


async def test_edit_and_redaction_reach_the_panel_copy(matrix):
    ticket_id = await matrix.open_ticket("Zle naliczony VAT")
    root = await matrix.root(ticket_id)
    event_id = await matrix.anna.reply(matrix.room_id, root.event_id, "VAT 23% ustawisz w...")
    await matrix.shop_sees(ticket_id, lambda m: m["body"] == "VAT 23% ustawisz w...")

    edit = {
        "msgtype": "m.text",
        "body": "* VAT 8% ustawisz w Ustawieniach",
        "m.new_content": {"msgtype": "m.text", "body": "VAT 8% ustawisz w Ustawieniach"},
        "m.relates_to": {"rel_type": "m.replace", "event_id": event_id},
    }
    await matrix.anna.client.room_send(matrix.room_id, "m.room.message", edit)
    edited = await matrix.shop_sees(
        ticket_id, lambda m: m["body"] == "VAT 8% ustawisz w Ustawieniach"
    )
    assert edited["edited_at"] is not None

    await matrix.anna.client.room_redact(matrix.room_id, event_id)

    async def gone() -> bool:
        view = await matrix.shop_view(ticket_id)
        return all("ustawisz" not in m["body"] for m in view["messages"])

    await eventually(gone)


async def test_note_stays_internal(matrix):
    ticket_id = await matrix.open_ticket("Pytanie o faktury")
    root = await matrix.root(ticket_id)
    await matrix.anna.reply(matrix.room_id, root.event_id, "!note klient placi z opoznieniem")
    await processed(matrix, "klient placi z opoznieniem", author="note")
    view = await matrix.shop_view(ticket_id)
    assert all("opoznieniem" not in m["body"] for m in view["messages"])


async def test_explicit_relay_mode_relays_only_reply_prefix(matrix_explicit):
    harness = matrix_explicit
    ticket_id = await harness.open_ticket("Domena nie dziala")
    root = await harness.root(ticket_id)
    await harness.anna.reply(harness.room_id, root.event_id, "wewnetrznie: DNS u klienta lezy")
    await harness.anna.reply(harness.room_id, root.event_id, "!reply Prosze sprawdzic rekord A")
    await harness.shop_sees(ticket_id, lambda m: m["body"] == "Prosze sprawdzic rekord A")
    await processed(harness, "wewnetrznie: DNS u klienta lezy", author="note")
    view = await harness.shop_view(ticket_id)
    assert all("DNS u klienta" not in m["body"] for m in view["messages"])


async def test_commands_answer_in_the_thread_and_update_the_root(matrix):
    ticket_id = await matrix.open_ticket("Problem z wysylka")
    root = await matrix.root(ticket_id)
    room, anna = matrix.room_id, matrix.anna

    async def command(text: str, expected: str) -> None:
        await anna.reply(room, root.event_id, text)
        notice = await matrix.in_thread(
            root, lambda m: m.sender == matrix.adapter.user_id and expected in m.body
        )
        content = await content_of(matrix, notice.event_id)
        assert content["msgtype"] == "m.notice"

    await command("!claim", "przypisane do: Anna z supportu")
    await anna.wait_for(lambda m: m.event_id != root.event_id and "Przypisane: Anna" in m.body)
    await command("!priority critical", "priorytet krytyczny")
    await anna.wait_for(lambda m: "Priorytet: krytyczny" in m.body and m.body.startswith("* "))
    bartek = matrix.bartek.client.user_id
    # A typed Matrix id is resolved to the agent: their display name, never the id.
    await command(f"!assign {bartek}", "przypisane do: Bartek.")
    await anna.wait_for(lambda m: "Przypisane: Bartek" in m.body)
    await command("!article p24-crc", "Artykuł p24-crc wysłany")
    await matrix.shop_sees(ticket_id, lambda m: "Przelewy24: klucz CRC" in m["body"])
    await command("!resolve", "rozwiązane przez: Anna z supportu")
    # Waited for before reopening: a newer pending root update would supersede this one.
    resolved = await anna.wait_for(lambda m: "Status: rozwiązane" in m.body)
    await command("!reopen", f"Zgłoszenie #{ticket_id} ponownie otwarte")
    after = anna.seen.index(resolved)
    await anna.wait_for(lambda m: "Status: otwarte" in m.body and anna.seen.index(m) > after)
    await command("!frobnicate", "Polecenia:")
    # Neither the commands nor the answers to them (notices for agents) reach the shop.
    view = await matrix.shop_view(ticket_id)
    assert all(not m["body"].startswith("!") for m in view["messages"])
    assert all("przypisane do" not in m["body"] for m in view["messages"])
    assert all("Polecenia:" not in m["body"] for m in view["messages"])


async def test_stranger_is_ignored(matrix):
    ticket_id = await matrix.open_ticket("Pytanie o abonament")
    root = await matrix.root(ticket_id)
    await matrix.stranger.reply(matrix.room_id, root.event_id, "Jestem obcy, oddaj dane")
    await matrix.bartek.reply(matrix.room_id, root.event_id, "Abonament przedluzysz w panelu")
    seen = await matrix.shop_sees(ticket_id, lambda m: "Abonament" in m["body"])
    assert seen["author_name"] == "Bartek"
    # One worker per room, in order: the stranger's earlier event was handled (and dropped).
    assert stored(matrix, body="Jestem obcy, oddaj dane") == []


async def test_shop_text_is_escaped(matrix):
    ticket_id = await matrix.open_ticket("@room <b>x</b> pilne", body="Tresc @room <b>x</b>")
    root = await matrix.root(ticket_id)
    content = await content_of(matrix, root.event_id)
    assert "@room" not in content["body"] and "@\u2060room" in content["body"]
    assert "<b>x</b>" not in content["formatted_body"]
    assert "&lt;b&gt;x&lt;/b&gt;" in content["formatted_body"]
    assert content["m.mentions"] == {}

    await matrix.shop_writes(ticket_id, "Halo @room <script>alert(1)</script>")
    follow_up = await matrix.in_thread(root, lambda m: "alert(1)" in m.body)
    content = await content_of(matrix, follow_up.event_id)
    assert "@room" not in content["body"]
    assert "<script>" not in content["formatted_body"]
    assert "&lt;script&gt;" in content["formatted_body"]
    assert content["m.mentions"] == {}


async def test_adapter_restart_relays_messages_sent_meanwhile_exactly_once(matrix):
    ticket_id = await matrix.open_ticket("Restart w trakcie rozmowy")
    root = await matrix.root(ticket_id)
    await matrix.anna.reply(matrix.room_id, root.event_id, "Przed restartem")
    await processed(matrix, "Przed restartem")

    await matrix.adapter.stop()
    # More messages than one sync returns per room: the gap must be backfilled.
    matrix.adapter.timeline_limit = 2
    during = [f"W czasie przerwy {n}" for n in range(5)]
    for text in during:
        await matrix.anna.reply(matrix.room_id, root.event_id, text)
    await matrix.shop_writes(ticket_id, "Sklep pisze w czasie przerwy")
    await matrix.adapter.start(matrix.services.desk.handle)

    await processed(matrix, during[-1])
    await matrix.anna.reply(matrix.room_id, root.event_id, "Po restarcie")
    await processed(matrix, "Po restarcie")
    view = await matrix.shop_view(ticket_id)
    bodies = [m["body"] for m in view["messages"] if m["author"] == "agent"]
    assert bodies == ["Przed restartem", *during, "Po restarcie"]

    async def follow_up_delivered() -> bool:
        matrix.clock.advance(minutes=15)  # past the backoff of the failed attempts
        matrix.runtime.dispatcher.kick()
        return any("Sklep pisze w czasie przerwy" in m.body for m in matrix.anna.seen)

    await eventually(follow_up_delivered)
    await matrix.anna.reply(matrix.room_id, root.event_id, "Kontrolna")
    await processed(matrix, "Kontrolna")  # a doubled post would have arrived by now
    copies = [m for m in matrix.anna.seen if "Sklep pisze w czasie przerwy" in m.body]
    assert len(copies) == 1 and copies[0].thread_root == root.event_id


async def test_stats_in_the_room_answer_in_the_room(matrix):
    await matrix.anna.client.room_send(
        matrix.room_id, "m.room.message", {"msgtype": "m.text", "body": "!stats"}
    )
    answer = await matrix.anna.wait_for(
        lambda m: m.sender == matrix.adapter.user_id and "Pomoc dziś (" in m.body
    )
    assert answer.thread_root is None
    content = await content_of(matrix, answer.event_id)
    assert content["msgtype"] == "m.notice"
    # A stranger's command gets no answer: Anna's next one is answered, the stranger's is not.
    await matrix.stranger.client.room_send(
        matrix.room_id, "m.room.message", {"msgtype": "m.text", "body": "!claim"}
    )
    await matrix.anna.client.room_send(
        matrix.room_id, "m.room.message", {"msgtype": "m.text", "body": "!resolve"}
    )
    await matrix.anna.wait_for(lambda m: "Brak zgłoszenia" in m.body)
    answers = [m for m in matrix.anna.seen if m.sender == matrix.adapter.user_id]
    assert [m.body for m in answers if "Brak zgłoszenia" in m.body] == [
        "⚠️ Brak zgłoszenia: użyj polecenia w wątku zgłoszenia albo podaj numer (/pomoc claim 42)."
    ]


async def test_only_invites_from_agents_are_accepted(matrix):
    bot = matrix.adapter.user_id
    strangers_room = (await matrix.stranger.client.room_create(name="Obcy", invite=[bot])).room_id
    agents_room = (await matrix.anna.client.room_create(name="Zespol", invite=[bot])).room_id

    await eventually(lambda: _is_member(matrix.anna, agents_room, bot))
    # Answered in a later sync than both invites, so both have been decided by now.
    await matrix.anna.client.room_send(
        agents_room, "m.room.message", {"msgtype": "m.text", "body": "!help"}
    )
    await matrix.anna.wait_for(lambda m: m.room_id == agents_room and "Polecenia:" in m.body)
    assert not await _is_member(matrix.stranger, strangers_room, bot)


async def test_homeserver_outage_delays_threads_but_loses_and_duplicates_none(matrix):
    matrix.homeserver.stop()
    try:
        ids = [await matrix.open_ticket(f"Awaria numer {n}") for n in range(3)]

        async def attempted() -> bool:
            with matrix.services.db.transaction() as session:
                items = session.exec(select(OutboxItem)).all()
            return all(item.attempts >= 1 for item in items if item.ticket_id in ids)

        await eventually(attempted)
    finally:
        await asyncio.to_thread(matrix.homeserver.start)

    async def delivered() -> bool:
        matrix.clock.advance(minutes=15)  # past any backoff the failures chose
        matrix.runtime.dispatcher.kick()
        with matrix.services.db.transaction() as session:
            links = session.exec(select(ThreadLink)).all()
        return len(links) == 3

    await eventually(delivered, timeout=30)
    for ticket_id in ids:
        await matrix.root(ticket_id)
    await asyncio.sleep(1)  # room for a duplicate to show up, were there one
    for ticket_id in ids:
        roots = [
            m
            for m in matrix.anna.seen
            if m.thread_root is None and m.body.startswith(f"🚨 #{ticket_id} ")
        ]
        assert len(roots) == 1, roots


async def test_same_key_is_one_event_and_rate_limits_become_retry_after(matrix):
    adapter, room = matrix.adapter, matrix.room_id
    first = await adapter.announce(channel=room, text="Alert SLA", key="k-1", retry=False)
    again = await adapter.announce(channel=room, text="Alert SLA", key="k-1", retry=True)
    assert first == again

    hs = matrix.homeserver
    _admin, token = await asyncio.to_thread(hs.register, "admin", "admin-pass-1", admin=True)
    limit = f"{hs.url}/_synapse/admin/v1/users/{adapter.user_id}/override_ratelimit"
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(headers=headers) as http:
        body = {"messages_per_second": 1, "burst_count": 1}
        (await http.post(limit, json=body)).raise_for_status()
        try:
            with pytest.raises(DeliveryError) as refused:
                for n in range(5):
                    await adapter.announce(channel=room, text=f"x{n}", key=f"rl-{n}", retry=False)
        finally:
            (await http.delete(limit)).raise_for_status()
    assert refused.value.retry_after is not None and refused.value.retry_after > 0
    assert not refused.value.permanent


async def test_files_travel_both_ways(matrix):
    ticket_id = await matrix.open_ticket("Zrzut ekranu bledu", files=[png("blad.png")])
    root = await matrix.root(ticket_id)
    image = await matrix.in_thread(root, lambda m: m.body == "blad.png")
    content = await content_of(matrix, image.event_id)
    assert content["msgtype"] == "m.image" and content["url"].startswith("mxc://")

    upload, _ = await matrix.anna.client.upload(
        io.BytesIO(PNG_1X1), content_type="image/png", filename="odp.png", filesize=len(PNG_1X1)
    )
    reply = {
        "msgtype": "m.image",
        "body": "odp.png",
        "url": upload.content_uri,
        "info": {"mimetype": "image/png", "size": len(PNG_1X1)},
        "m.relates_to": {"rel_type": "m.thread", "event_id": root.event_id},
    }
    await matrix.anna.client.room_send(matrix.room_id, "m.room.message", reply)
    seen = await matrix.shop_sees(ticket_id, lambda m: m["author"] == "agent")
    assert [a["filename"] for a in seen["attachments"]] == ["odp.png"]


async def test_a_slow_room_does_not_hold_up_another(matrix):
    ticket_id = await matrix.open_ticket("Wolna obsluga")
    root = await matrix.root(ticket_id)
    bot = matrix.adapter.user_id
    other = (await matrix.anna.client.room_create(name="Zespol 2", invite=[bot])).room_id
    release = asyncio.Event()

    async def slow_in_the_ticket_room(event):
        if getattr(event, "text", "") == "powoli":
            await release.wait()
        return await matrix.services.desk.handle(event)

    await matrix.adapter.stop()
    await matrix.adapter.start(slow_in_the_ticket_room)
    await eventually(lambda: _is_member(matrix.anna, other, bot))
    await matrix.anna.reply(matrix.room_id, root.event_id, "powoli")
    await matrix.anna.client.room_send(
        other, "m.room.message", {"msgtype": "m.text", "body": "!help"}
    )
    answer = await matrix.anna.wait_for(lambda m: m.room_id == other and "Polecenia:" in m.body)
    assert answer.sender == bot
    assert stored(matrix, body="powoli") == []  # still held, yet the sync went on
    release.set()
    await processed(matrix, "powoli")


async def _is_member(asker, room_id: str, user_id: str) -> bool:
    """Whether `user_id` has joined, as seen by `asker` (a member of the room)."""
    response = await asker.client.joined_members(room_id)
    assert isinstance(response, JoinedMembersResponse), response
    return user_id in [member.user_id for member in response.members]


async def test_an_encrypted_room_is_reported_to_the_managers_once_a_day(
    homeserver, database_url, tmp_path
):
    """Pomoc cannot read an encrypted room: agents' replies there would vanish silently."""
    harness = await build_harness(homeserver, database_url, tmp_path, managers_here=True)
    await harness.start_pomoc()
    try:
        sealed = {
            "algorithm": "m.megolm.v1.aes-sha2",
            "ciphertext": "AwgAEnBVbkzVe5fK1BXuwZ9gnB",
            "device_id": "ANNADEVICE",
            "sender_key": "c2VuZGVyIGtleQ",
            "session_id": "c2Vzc2lvbg",
        }
        for _ in range(2):
            await harness.anna.client.room_send(harness.room_id, "m.room.encrypted", sealed)
        notice = await harness.anna.wait_for(lambda m: "nie może czytać" in m.body)
        assert notice.sender == harness.adapter.user_id
        assert harness.room_id in notice.body and "Anna z supportu" in notice.body

        def handled() -> int:
            with harness.services.db.transaction() as session:
                return len(session.exec(select(InboundEvent)).all())

        await eventually(lambda: _true(handled() == 2))  # both seen...
        with harness.services.db.transaction() as session:
            announced = session.exec(
                select(OutboxItem).where(OutboxItem.operation == "announce")
            ).all()
        assert len(announced) == 1  # ...one warning for the day
    finally:
        await close_harness(harness)
