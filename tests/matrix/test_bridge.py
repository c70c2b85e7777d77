"""Matrix as Element sends it, through a real Synapse: both hops (the chat, the shop's API)."""

import copy
import io
import json
from pathlib import Path

from PIL import Image
from sqlmodel import select

from storage.models import Attachment, Message, OutboxItem, Ticket
from tests.helpers import PNG_1X1, auth
from tests.matrix.conftest import eventually

PAYLOADS = Path(__file__).resolve().parents[1] / "data" / "payloads" / "matrix"


def element(name: str, **relation: str) -> dict:
    """A recorded event's content, its relation pointed at our events (`thread`, `reply`,
    `replaces`)."""
    content = copy.deepcopy(json.loads((PAYLOADS / name).read_text())["content"])
    related = content.get("m.relates_to")
    if related is not None:
        if "thread" in relation:
            related["event_id"] = relation["thread"]
        if "replaces" in relation:
            related["event_id"] = relation["replaces"]
        if "reply" in relation:
            related["m.in_reply_to"] = {"event_id": relation["reply"]}
    return content


async def send(harness, content: dict, agent=None) -> str:
    response = await (agent or harness.anna).client.room_send(
        harness.room_id, "m.room.message", content
    )
    return response.event_id


async def content_of(harness, event_id: str) -> dict:
    response = await harness.anna.client.room_get_event(harness.room_id, event_id)
    return response.event.source["content"]


def rows(harness, model, **where):
    with harness.services.db.transaction() as session:
        query = select(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return list(session.exec(query))


async def test_the_root_carries_the_description_shop_order_files_and_the_agents_page(matrix):
    response = await matrix.http.post(
        "/api/v1/tickets",
        data={
            "title": "Nie działa koszyk",
            "body": "Klienci widzą pusty koszyk po dodaniu produktu.",
            "order_url": "https://sklep-ani.pl/admin/orders/15",
        },
        files=[("files", ("koszyk.png", io.BytesIO(PNG_1X1), "image/png"))],
        headers=auth(matrix.shop_token),
    )
    ticket_id = response.json()["id"]
    root = await matrix.root(ticket_id)
    for expected in (
        "Klienci widzą pusty koszyk po dodaniu produktu.",
        "Sklep: Sklep Ani",
        "Zamówienie: https://sklep-ani.pl/admin/orders/15",
        "Załączniki: koszyk.png",
        "Status: otwarte",
        f"/agent/tickets/{ticket_id}?exp=",
    ):
        assert expected in root.body
    markup = (await content_of(matrix, root.event_id))["formatted_body"]
    assert 'href="https://sklep-ani.pl/admin/orders/15"' in markup


async def test_rich_text_emote_and_names_reach_the_shop_as_the_agent_meant(matrix):
    ticket_id = await matrix.open_ticket("Problem z logowaniem")
    root = await matrix.root(ticket_id)
    # Bartek takes Anna's display name: nio would disambiguate it with his Matrix id.
    await matrix.bartek.client.set_displayname("Anna z supportu")
    await send(matrix, element("rich_text_html.json") | {"m.relates_to": _thread(root)})
    seen = await matrix.shop_sees(ticket_id, lambda m: "sprawdzam zgłoszenie" in m["body"])
    assert seen["author_name"] == "Anna z supportu" and "@" not in seen["author_name"]
    assert (
        "**" not in seen["body"] and "stronę statusu (https://status.example.org)" in seen["body"]
    )
    assert "pomoc@example.org (mailto" not in seen["body"]
    markup = seen["body_html"]
    assert "<strong>sprawdzam zgłoszenie</strong>" in markup and "<ol><li>" in markup
    assert (
        '<a href="https://status.example.org" target="_blank" rel="noopener noreferrer">' in markup
    )

    await send(matrix, element("emote.json") | {"m.relates_to": _thread(root)}, matrix.bartek)
    emote = await matrix.shop_sees(ticket_id, lambda m: "logi serwera" in m["body"])
    assert emote["body"] == "Anna z supportu sprawdza logi serwera"
    assert emote["author_name"] == "Anna z supportu"
    assert emote["body_html"] == "Anna z supportu sprawdza <strong>logi serwera</strong>"


def _thread(root) -> dict:
    return {
        "rel_type": "m.thread",
        "event_id": root.event_id,
        "is_falling_back": True,
        "m.in_reply_to": {"event_id": root.event_id},
    }


async def test_a_reply_to_the_root_outside_the_thread_is_taken_in_the_thread(matrix):
    ticket_id = await matrix.open_ticket("Adres e-mail konta")
    root = await matrix.root(ticket_id)
    await send(matrix, element("reply_outside_thread.json", reply=root.event_id))
    seen = await matrix.shop_sees(ticket_id, lambda m: m["author"] == "agent")
    assert seen["body"] == "Dzień dobry, czy mogę prosić o adres e-mail konta?"
    # The legacy fallback (body "> <@user>" lines, <mx-reply>) never reaches the shop.
    await send(matrix, element("reply_with_fallback_legacy.json", reply=root.event_id))
    legacy = await matrix.shop_sees(ticket_id, lambda m: "zresetować" in m["body"])
    assert legacy["body"] == "Czy próbowała Pani zresetować hasło?"
    assert "In reply to" not in (legacy["body_html"] or "") and ">" not in legacy["body"]
    # Commands too: Element's "Reply" on the root with `!claim`.
    await send(
        matrix,
        {
            "msgtype": "m.text",
            "body": "!claim",
            "m.relates_to": {"m.in_reply_to": {"event_id": root.event_id}},
        },
    )
    notice = await matrix.in_thread(root, lambda m: "przypisane do: Anna z supportu" in m.body)
    assert notice.sender == matrix.adapter.user_id

    async def claimed() -> bool:
        return rows(matrix, Ticket, id=ticket_id)[0].assignee == "Anna z supportu"

    await eventually(claimed)


async def test_an_edit_into_a_note_withdraws_the_reply_and_its_file(matrix):
    ticket_id = await matrix.open_ticket("Błąd 502")
    root = await matrix.root(ticket_id)
    reply = element("thread_quote_reply.json", thread=root.event_id, reply=root.event_id)
    reply_id = await send(matrix, reply)
    await matrix.shop_sees(ticket_id, lambda m: "aplikacji mobilnej" in m["body"])
    await send(matrix, element("edit_to_note.json", replaces=reply_id))
    notice = await matrix.in_thread(root, lambda m: "Wycofano ze sklepu" in m.body)
    assert notice.sender == matrix.adapter.user_id

    async def withdrawn() -> bool:
        view = await matrix.shop_view(ticket_id)
        return all(
            "mobilnej" not in m["body"] and "Firefox" not in m["body"] for m in view["messages"]
        )

    await eventually(withdrawn)
    [note] = rows(matrix, Message, author="note")
    assert note.body == "Klient potwierdził, że problem dotyczy tylko przeglądarki Firefox."


async def test_a_message_opening_with_a_pill_to_a_colleague_stays_internal(matrix):
    ticket_id = await matrix.open_ticket("Zwrot towaru")
    root = await matrix.root(ticket_id)
    bartek = matrix.bartek.client.user_id
    pill = element("pill_mention.json")
    pill["formatted_body"] = pill["formatted_body"].replace("@kierownik:example.org", bartek)
    pill["m.mentions"] = {"user_ids": [bartek]}
    pill["m.relates_to"] = _thread(root)
    await send(matrix, pill)
    await matrix.in_thread(root, lambda m: "Zostaje wewnętrzne" in m.body)
    assert all(
        "przejęcie" not in m["body"] for m in (await matrix.shop_view(ticket_id))["messages"]
    )

    assign = {
        "msgtype": "m.text",
        "body": "!assign Bartek",
        "format": "org.matrix.custom.html",
        "formatted_body": f'!assign <a href="https://matrix.to/#/{bartek}">Bartek</a>',
        "m.mentions": {"user_ids": [bartek]},
        "m.relates_to": _thread(root),
    }
    await send(matrix, assign)
    await matrix.in_thread(root, lambda m: "przypisane do: Bartek" in m.body)
    [row] = rows(matrix, Ticket, id=ticket_id)
    assert (row.assignee, row.assignee_id) == ("Bartek", f"matrix:{bartek}")


async def test_files_the_shop_may_not_get_are_reported_and_redacted_ones_go(matrix):
    ticket_id = await matrix.open_ticket("Logi aplikacji")
    root = await matrix.root(ticket_id)
    client = matrix.anna.client
    text_file, _ = await client.upload(
        io.BytesIO(b"ERROR 502"), content_type="text/plain", filename="logi.txt", filesize=9
    )
    await send(
        matrix,
        element("file_message.json")
        | {
            "body": "logi.txt",
            "filename": "logi.txt",
            "url": text_file.content_uri,
            "info": {"mimetype": "text/plain", "size": 9},
            "m.relates_to": _thread(root),
        },
    )
    await matrix.in_thread(root, lambda m: "logi.txt (niedozwolony typ)" in m.body)

    image, _ = await client.upload(
        io.BytesIO(PNG_1X1), content_type="image/png", filename="wzor.png", filesize=len(PNG_1X1)
    )
    image_id = await send(
        matrix,
        {
            "msgtype": "m.image",
            "body": "wzor.png",
            "url": image.content_uri,
            "info": {"mimetype": "image/png", "size": len(PNG_1X1)},
            "m.relates_to": _thread(root),
        },
    )
    seen = await matrix.shop_sees(ticket_id, lambda m: m["attachments"])
    url = seen["attachments"][0]["url"]
    assert (await matrix.http.get(url, headers=auth(matrix.shop_token))).status_code == 200
    [stored] = rows(matrix, Attachment, filename="wzor.png")
    path = matrix.services.ctx.files.path(stored.storage_key)
    await client.room_redact(matrix.room_id, image_id)

    async def gone() -> bool:
        return (await matrix.http.get(url, headers=auth(matrix.shop_token))).status_code == 404

    await eventually(gone)
    assert not path.exists()


async def test_shop_images_carry_their_size_and_a_thumbnail(matrix):
    picture = io.BytesIO()
    Image.new("RGB", (1600, 900), "orange").save(picture, format="PNG")
    response = await matrix.http.post(
        "/api/v1/tickets",
        data={"title": "Zrzut ekranu", "body": "Tak wygląda błąd"},
        files=[("files", ("ekran.png", io.BytesIO(picture.getvalue()), "image/png"))],
        headers=auth(matrix.shop_token),
    )
    root = await matrix.root(response.json()["id"])
    image = await matrix.in_thread(root, lambda m: m.body == "ekran.png")
    info = (await content_of(matrix, image.event_id))["info"]
    assert (info["w"], info["h"]) == (1600, 900)
    assert info["thumbnail_url"].startswith("mxc://")
    assert (info["thumbnail_info"]["w"], info["thumbnail_info"]["h"]) == (800, 450)


async def test_long_text_is_split_or_attached_never_cut(matrix):
    description = " ".join(f"zdanie{n:05d}" for n in range(1700))[:20_000]
    ticket_id = await matrix.open_ticket("Długi opis", body=description)
    root = await matrix.root(ticket_id)
    assert "Pełna treść w załączonym pliku opis.txt" in root.body
    full = await matrix.in_thread(root, lambda m: m.body == "opis.txt")
    content = await content_of(matrix, full.event_id)
    download = await matrix.anna.client.download(mxc=content["url"])
    assert download.body.decode() == description

    await matrix.shop_writes(ticket_id, description)

    async def parts() -> list:
        found = [
            m for m in matrix.anna.seen if m.thread_root == root.event_id and "zdanie" in m.body
        ]
        return found if len(found) >= 4 else []

    pieces = await eventually(parts)
    text = " ".join(m.body.removeprefix("🛒 Sklep Ani: ") for m in pieces)
    assert text == description


async def test_the_thread_shows_what_pomoc_told_the_shop(matrix):
    ticket_id = await matrix.open_ticket("Faktura")
    root = await matrix.root(ticket_id)
    await matrix.anna.reply(matrix.room_id, root.event_id, "!resolve")
    line = await matrix.in_thread(root, lambda m: "Anna z supportu: rozwiązane" in m.body)
    assert "Zgłoszenie zostało oznaczone jako rozwiązane" in line.body
    await matrix.anna.wait_for(lambda m: "Status: rozwiązane" in m.body and "!reopen" in m.body)


async def test_the_root_is_edited_only_when_what_it_shows_changes(matrix):
    """The outbox skips root updates that render the same as the last one shown (issue 15)."""
    ticket_id = await matrix.open_ticket("Wiele odpowiedzi")
    root = await matrix.root(ticket_id)
    for n in range(4):
        await matrix.anna.reply(matrix.room_id, root.event_id, f"Odpowiedź {n}")
        await matrix.shop_sees(ticket_id, lambda m, n=n: m["body"] == f"Odpowiedź {n}")

    async def drained() -> bool:
        return all(item.state != "pending" for item in rows(matrix, OutboxItem))

    await eventually(drained)
    # Room events arrive in order: once Anna sees a message sent after every edit, she has
    # seen every edit.
    control = await matrix.anna.reply(matrix.room_id, root.event_id, "!note kontrolna")
    await matrix.anna.wait_for(lambda m: m.event_id == control)
    edits = [m for m in matrix.anna.seen if m.body.startswith("* ") and f"#{ticket_id} " in m.body]
    assert len({m.body for m in edits}) == 1  # open -> waiting, shown once
    assert len(edits) == 1
