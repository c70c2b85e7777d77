"""Slack as Slack sends it: rich text, names, edits into notes, chatter, emotes, /pomoc, roots."""

import time

from sqlmodel import select

from storage import repositories as repo
from storage.models import Message, Ticket
from tests.helpers import auth
from tests.slack.conftest import (
    ANNA,
    BASIA,
    SUPPORT,
    click,
    opened_thread,
    panel_messages,
    reply_event,
    send_event,
    slack_runtime,
    slash,
)
from tests.slack.payloads import recorded


def stored(runtime, ticket_id: int) -> list[Message]:
    with runtime.core.db.transaction() as session:
        return repo.ticket_messages(session, ticket_id, include_notes=True)


def ticket_row(runtime, ticket_id: int) -> Ticket:
    with runtime.core.db.transaction() as session:
        return session.get(Ticket, ticket_id)


async def deliver_all(runtime) -> None:
    while await runtime.dispatcher.deliver_once():
        pass


async def test_rich_text_reaches_the_shop_as_formatting_with_names_and_emoji(
    runtime, http, shop_token, fake
):
    fake.channel_names[SUPPORT] = "wsparcie"
    ticket_id, ts = await opened_thread(runtime, http, shop_token)
    event = recorded("message_in_thread_rich_text.json", thread_ts=ts)
    assert (await send_event(http, event)).status_code == 200

    [reply] = [
        m for m in await panel_messages(http, shop_token, ticket_id) if m["author"] == "agent"
    ]
    body, markup = reply["body"], reply["body_html"]
    # Names, not ids; emoji as Unicode; the link once, with its address in the plain text.
    assert "@Basia Kowalska" in body and "#wsparcie" in body and "🙏" in body
    assert "strona statusu (https://status.example.com)" in body
    for raw in ("U0", BASIA, SUPPORT, "S0WSPARCIE1", ":pray:", "*Dzień", "`POM"):
        assert raw not in body and raw not in markup
    assert "1. wylogować się z aplikacji" in body and "• komunikat błędu" in body
    assert "<strong>Dzień dobry!</strong>" in markup
    assert "<em>proszę chwilę poczekać</em>" in markup and "<code>POM-1234</code>" in markup
    link = '<a href="https://status.example.com" target="_blank" rel="noopener noreferrer">'
    assert link + "strona statusu</a>" in markup
    assert "<ol><li>wylogować się z aplikacji</li>" in markup
    assert "<pre><code>Error: connect ECONNREFUSED 10.0.0.5:443</code></pre>" in markup


async def test_slacks_automatic_links_and_mailto_are_not_doubled(runtime, http, shop_token):
    ticket_id, ts = await opened_thread(runtime, http, shop_token)
    text = "Pisz na <mailto:kontakt@x.pl|kontakt@x.pl> albo <http://x.pl|x.pl> :white_check_mark:"
    await send_event(http, reply_event(ts, text))
    last = (await panel_messages(http, shop_token, ticket_id))[-1]
    assert last["body"] == "Pisz na kontakt@x.pl albo x.pl ✅"


async def test_an_unknown_name_is_konsultant_never_the_raw_id(runtime, http, shop_token, fake):
    ticket_id, ts = await opened_thread(runtime, http, shop_token)
    fake.add_user("UNOWY", "")  # a profile without any name
    fake.users["UNOWY"].update(name="", real_name="", profile={})
    fake.fail("users.info", status=500, error="internal_error")
    await send_event(http, reply_event(ts, "Dzień dobry", user="UNOWY"))
    last = (await panel_messages(http, shop_token, ticket_id))[-1]
    assert (last["author"], last["author_name"]) == ("agent", "Konsultant")
    await send_event(http, reply_event(ts, "Jeszcze raz", user="UNOWY"))
    assert (await panel_messages(http, shop_token, ticket_id))[-1]["author_name"] == "Konsultant"


async def test_me_message_reads_as_the_agent_doing_it(runtime, http, shop_token):
    ticket_id, ts = await opened_thread(runtime, http, shop_token)
    await send_event(http, reply_event(ts, "sprawdza logi serwera", subtype="me_message"))
    last = (await panel_messages(http, shop_token, ticket_id))[-1]
    assert last["body"] == "Anna Nowak sprawdza logi serwera"


async def test_an_edit_into_a_note_withdraws_the_reply_and_the_agent_is_told(
    runtime, http, shop_token, fake
):
    ticket_id, ts = await opened_thread(runtime, http, shop_token)
    original = reply_event(ts, "Sprawdzam, proszę chwilę poczekać.")
    await send_event(http, original)
    assert any(
        m["body"].startswith("Sprawdzam") for m in await panel_messages(http, shop_token, ticket_id)
    )

    changed = recorded(
        "message_changed.json", thread_ts=ts, **{"1718000300.000300": original["ts"]}
    )
    changed["message"]["text"] = "!note klient chyba zmienił hasło"
    changed["message"]["blocks"][0]["elements"][0]["elements"][0]["text"] = changed["message"][
        "text"
    ]
    assert (await send_event(http, changed)).status_code == 200

    shop_sees = await panel_messages(http, shop_token, ticket_id)
    assert all("Sprawdzam" not in m["body"] and "note" not in m["body"] for m in shop_sees)
    assert ("note", "klient chyba zmienił hasło") in [
        (m.author, m.body) for m in stored(runtime, ticket_id)
    ]
    [told] = fake.ephemerals
    assert (told["channel"], told["user"], told["thread_ts"]) == (SUPPORT, ANNA, ts)
    assert "Wycofano ze sklepu" in told["text"]


async def test_in_explicit_mode_a_note_edited_into_reply_is_published(
    database_url, tmp_path, clock, fake, shop_token_factory
):
    runtime = slack_runtime(database_url, tmp_path, clock, fake, relay_mode="explicit")
    await runtime.adapters["slack"].start(runtime.core.desk.handle)
    try:
        async with shop_token_factory(runtime) as (http, token):
            ticket_id, ts = await opened_thread(runtime, http, token)
            draft = reply_event(ts, "Hasło zresetujesz w Ustawieniach")
            await send_event(http, draft)
            assert all(
                "Hasło" not in m["body"] for m in await panel_messages(http, token, ticket_id)
            )
            edited = {**draft, "text": "!reply Hasło zresetujesz w Ustawieniach › Konto"}
            await send_event(
                http,
                {
                    "type": "message",
                    "subtype": "message_changed",
                    "channel": SUPPORT,
                    "hidden": True,
                    "ts": f"{time.time():.6f}",
                    "message": edited,
                    "previous_message": draft,
                },
            )
            last = (await panel_messages(http, token, ticket_id))[-1]
            assert (last["author"], last["body"]) == (
                "agent",
                "Hasło zresetujesz w Ustawieniach › Konto",
            )
            assert last["edited_at"] is None  # for the shop it is a new message
            assert ticket_row(runtime, ticket_id).status == "waiting"
            assert "wysłana do sklepu" in fake.ephemerals[-1]["text"]
    finally:
        await runtime.adapters["slack"].stop()
        runtime.core.db.dispose()


async def test_a_message_addressing_a_colleague_stays_internal_and_is_marked(
    runtime, http, shop_token, fake
):
    ticket_id, ts = await opened_thread(runtime, http, shop_token)
    chatter = reply_event(
        ts,
        f"<@{BASIA}> możesz zerknąć?",
        blocks=[
            {
                "type": "rich_text",
                "elements": [
                    {
                        "type": "rich_text_section",
                        "elements": [
                            {"type": "user", "user_id": BASIA},
                            {"type": "text", "text": " możesz zerknąć?"},
                        ],
                    }
                ],
            }
        ],
    )
    await send_event(http, chatter)
    assert all(
        "zerknąć" not in m["body"] for m in await panel_messages(http, shop_token, ticket_id)
    )
    assert stored(runtime, ticket_id)[-1].author == "note"
    assert "Zostaje wewnętrzne" in fake.ephemerals[-1]["text"]
    # Naming a colleague later in the sentence is an answer to the shop like any other.
    await send_event(http, reply_event(ts, f"Dzień dobry, <@{BASIA}> to sprawdzi."))
    assert (await panel_messages(http, shop_token, ticket_id))[-1]["body"] == (
        "Dzień dobry, @Basia Kowalska to sprawdzi."
    )


async def test_assign_resolves_a_mention_to_the_agent(runtime, http, shop_token, fake):
    ticket_id, ts = await opened_thread(runtime, http, shop_token)
    await send_event(http, reply_event(ts, f"!assign <@{BASIA}>"))
    row = ticket_row(runtime, ticket_id)
    assert (row.assignee, row.assignee_id) == ("Basia Kowalska", f"slack:{BASIA}")
    assert "przypisane do: Basia Kowalska" in fake.ephemerals[-1]["text"]
    await slash(http, fake, f"assign {ticket_id} <@{ANNA}|anna>")
    row = ticket_row(runtime, ticket_id)
    assert (row.assignee, row.assignee_id) == ("Anna Nowak", f"slack:{ANNA}")


async def test_pomoc_claim_without_a_number_offers_the_channels_open_tickets(
    runtime, http, shop_token, fake
):
    first, _ = await opened_thread(runtime, http, shop_token, title="Płatności BLIK")
    second, _ = await opened_thread(runtime, http, shop_token, title="Zwroty")
    await slash(http, fake, "claim")
    answer = fake.responses[-1]
    assert answer["response_type"] == "ephemeral" and "Które zgłoszenie" in answer["text"]
    buttons = [b["elements"][0] for b in answer["blocks"] if b["type"] == "actions"]
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        ("pomoc_claim", str(first)),
        ("pomoc_claim", str(second)),
    ]
    assert buttons[1]["text"]["text"] == f"#{second} Zwroty"
    await click(http, fake, "pomoc_claim", second)
    assert ticket_row(runtime, second).assignee == "Anna Nowak"
    assert ticket_row(runtime, first).assignee is None
    await slash(http, fake, "help")
    assert "/pomoc claim 42" in fake.responses[-1]["text"]


async def test_the_thread_shows_what_pomoc_told_the_shop_and_a_resolved_root_offers_reopen(
    runtime, http, shop_token, fake
):
    ticket_id, ts = await opened_thread(runtime, http, shop_token)
    await click(http, fake, "pomoc_resolve", ticket_id)
    await deliver_all(runtime)
    [line] = [r for r in fake.replies(SUPPORT, ts) if "do sklepu" in r["text"]]
    assert "Anna Nowak: rozwiązane" in line["text"]
    assert "Zgłoszenie zostało oznaczone jako rozwiązane" in line["text"]
    root = fake.find(SUPPORT, ts)
    actions = next(b for b in root["blocks"] if b["type"] == "actions")["elements"]
    assert [a["action_id"] for a in actions] == ["pomoc_reopen"]
    await click(http, fake, "pomoc_reopen", ticket_id)
    assert ticket_row(runtime, ticket_id).status == "open"
    await slash(http, fake, f"article {ticket_id} p24-crc")
    await deliver_all(runtime)
    texts_ = [r["text"] for r in fake.replies(SUPPORT, ts)]
    assert any("Anna Nowak: ponownie otwarte" in t for t in texts_)
    assert any("Anna Nowak: artykuł z Centrum Pomocy" in t and "p24-crc" in t for t in texts_)


async def test_long_shop_text_is_split_within_slacks_limits_never_cut(
    runtime, http, shop_token, fake
):
    description = " ".join(f"zdanie{n:05d}" for n in range(1700))  # 20,399 characters
    description = description[:20_000]
    ticket_id, ts = await opened_thread(runtime, http, shop_token, body=description)
    root = fake.find(SUPPORT, ts)
    assert len(root["blocks"]) <= 50
    pieces = _literal(root["blocks"])
    assert all(len(p) <= 3000 for p in pieces)
    assert " ".join(p for p in pieces if p.startswith("zdanie")) == description

    response = await http.post(
        f"/api/v1/tickets/{ticket_id}/messages",
        headers=auth(shop_token),
        data={"body": description},
    )
    assert response.status_code == 201
    await deliver_all(runtime)
    posts = fake.replies(SUPPORT, ts)
    assert all(len(p["blocks"]) <= 50 and len(p["text"]) <= 40_000 for p in posts)
    shown = [
        piece for post in posts for piece in _literal(post["blocks"]) if piece.startswith("zdanie")
    ]
    assert all(len(p) <= 3000 for p in shown)
    assert " ".join(shown) == description


def _literal(blocks: list[dict]) -> list[str]:
    return [
        e["text"]
        for b in blocks
        if b["type"] == "rich_text"
        for s in b["elements"]
        for e in s["elements"]
        if e["type"] == "text"
    ]


async def test_the_root_is_edited_only_when_what_it_shows_changes(runtime, http, shop_token, fake):
    """The outbox skips root updates that render the same as the last one shown (issue 15)."""
    _ticket_id, ts = await opened_thread(runtime, http, shop_token)
    for n in range(5):
        await send_event(http, reply_event(ts, f"Odpowiedź {n}"))
        await deliver_all(runtime)
    updates = fake.calls_of("chat.update")
    renders = {str(call.params["blocks"]) for call in updates}
    # One change is shown (open -> waiting for the shop); the four replies after it change nothing.
    assert len(renders) == 1
    assert len(updates) == len(renders)
    with runtime.core.db.transaction() as session:
        assert session.exec(select(Ticket)).one().status == "waiting"
