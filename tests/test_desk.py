"""Inbound agent events: replies, notes, relay modes, edits, deletes, commands, dedupe."""

import asyncio
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.commands import Claim
from bot.config import Secrets
from bot.errors import NotFound
from bot.events import (
    Agent,
    AgentCommand,
    InboundFile,
    ThreadMessage,
    ThreadMessageDeleted,
    ThreadMessageEdited,
    ThreadRef,
)
from bot.lifecycle import Status
from pomoc.cli import create_shop
from pomoc.runtime import build_core
from storage import delivery
from storage import repositories as repo
from storage.models import Attachment, AuditEntry, Message, OutboxItem, Shop, ThreadLink, Ticket
from tests.conftest import make_config
from tests.fakes.triage import KeywordTriager
from tests.helpers import ANNA, PNG_1X1, agent_reply


def open_escalated(services, title="Szablon sklepu", body="Jak zmienic stopke?") -> Ticket:
    with services.db.transaction() as session:
        shop = session.get(Shop, 1) or _shop(services)
    return services.tickets.open_ticket(shop=shop, title=title, body=body).ticket


def _shop(services) -> Shop:
    create_shop(services.config.database.url, "Sklep Testowy")
    with services.db.transaction() as session:
        return session.get(Shop, 1)


def shop_visible(services, ticket_id: int) -> list[tuple[str, str]]:
    with services.db.transaction() as session:
        rows = repo.ticket_messages(session, ticket_id, include_notes=False)
    return [(m.author, m.body) for m in rows]


async def test_reply_reaches_shop_with_agent_name_and_marks_unread(services):
    ticket = open_escalated(services)
    await agent_reply(services, ticket.id, "Stopke zmienisz w Wyglad > Stopka")
    with services.db.transaction() as session:
        row = session.get(Ticket, ticket.id)
        messages = repo.ticket_messages(session, ticket.id, include_notes=False)
    assert row.status == Status.WAITING
    assert row.unread is True
    assert row.first_response_at is not None
    assert (messages[-1].author, messages[-1].author_name) == ("agent", "Anna z supportu")


async def test_note_prefix_stays_internal(services):
    ticket = open_escalated(services)
    await agent_reply(services, ticket.id, "!note klient marudzi, sprawdz logi")
    assert all("marudzi" not in body for _, body in shop_visible(services, ticket.id))
    with services.db.transaction() as session:
        notes = repo.ticket_messages(session, ticket.id, include_notes=True)
        assert notes[-1].author == "note"
        assert session.get(Ticket, ticket.id).unread is False


async def test_explicit_relay_mode_keeps_plain_messages_internal(database_url, tmp_path, clock):
    config = make_config(
        database_url,
        tmp_path,
        departments={
            "other": {"platform": "matrix", "channel": "!support:test", "relay_mode": "explicit"}
        },
    )
    services = build_core(
        config, secrets=Secrets.from_env({}), clock=clock, triager=KeywordTriager(), migrate=False
    )
    ticket = open_escalated(services)
    await agent_reply(services, ticket.id, "to chyba ich wina, nie nasza")
    await agent_reply(services, ticket.id, "!reply Dzien dobry, juz poprawione")
    await agent_reply(services, ticket.id, "Zmiana wdrozona", via_reply_action=True)
    visible = shop_visible(services, ticket.id)
    assert ("agent", "Dzien dobry, juz poprawione") in visible
    assert ("agent", "Zmiana wdrozona") in visible
    assert all("wina" not in body for _, body in visible)


async def test_retried_event_is_applied_once(services):
    ticket = open_escalated(services)
    for _ in range(3):
        await agent_reply(services, ticket.id, "Jedna odpowiedz", event_id="$same")
    assert [b for a, b in shop_visible(services, ticket.id) if a == "agent"] == ["Jedna odpowiedz"]


async def test_edit_and_delete_follow_the_relayed_copy(services):
    ticket = open_escalated(services)
    await agent_reply(services, ticket.id, "Ceny zmienisz w Produkty", message_id="$msg1")
    await services.desk.handle(
        ThreadMessageEdited(
            event_id="$e-edit",
            platform="matrix",
            message_id="$msg1",
            agent=ANNA,
            text="Ceny zmienisz w Produkty > Edycja",
        )
    )
    assert ("agent", "Ceny zmienisz w Produkty > Edycja") in shop_visible(services, ticket.id)
    await services.desk.handle(
        ThreadMessageDeleted(event_id="$e-del", platform="matrix", message_id="$msg1", agent=ANNA)
    )
    assert all(a != "agent" for a, _ in shop_visible(services, ticket.id))


async def test_agent_files_reach_shop_and_refused_types_are_reported(services):
    ticket = open_escalated(services)
    reply = await agent_reply(
        services,
        ticket.id,
        "Zrzut w zalaczniku",
        files=(
            InboundFile("ekran.png", "image/png", PNG_1X1),
            InboundFile("skrypt.sh", "text/x-sh", b"#!/bin/sh\nrm -rf /\n"),
        ),
    )
    assert reply is not None and "skrypt.sh" in reply.text
    with services.db.transaction() as session:
        last = repo.ticket_messages(session, ticket.id, include_notes=False)[-1]
        files = repo.message_attachments(session, [last.id])
    assert [f.filename for f in files] == ["ekran.png"]


@pytest.mark.parametrize(
    ("text", "check"),
    [
        ("!claim", lambda t: t.assignee == "Anna z supportu"),
        ("!assign Tomek", lambda t: t.assignee == "Tomek"),
        ("!priority critical", lambda t: t.priority == "critical"),
        ("!resolve", lambda t: t.status == Status.RESOLVED),
    ],
)
async def test_thread_commands_change_the_ticket_and_are_audited(services, text, check):
    ticket = open_escalated(services)
    reply = await agent_reply(services, ticket.id, text)
    assert reply.ok
    with services.db.transaction() as session:
        row = session.get(Ticket, ticket.id)
        assert check(row)
        audit = session.exec(
            select(AuditEntry).where(
                AuditEntry.ticket_id == ticket.id, AuditEntry.actor == ANNA.actor
            )
        ).all()
    assert audit


async def test_resolve_then_reopen_and_article(services):
    ticket = open_escalated(services)
    await agent_reply(services, ticket.id, "!resolve")
    reopened = await agent_reply(services, ticket.id, "!reopen")
    assert reopened.ok
    sent = await agent_reply(services, ticket.id, "!article p24-crc")
    assert sent.ok
    bodies = [b for a, b in shop_visible(services, ticket.id) if a == "bot"]
    assert any("selesto.pl/pomoc/p24-crc" in b for b in bodies)
    missing = await agent_reply(services, ticket.id, "!article nie-ma")
    assert not missing.ok


async def test_unknown_command_gets_help_and_is_not_relayed(services):
    ticket = open_escalated(services)
    reply = await agent_reply(services, ticket.id, "!frobnicate now")
    assert not reply.ok and "claim" in reply.text
    assert all("frobnicate" not in b for _, b in shop_visible(services, ticket.id))


async def test_invalid_transition_is_explained(services):
    ticket = open_escalated(services)
    reply = await agent_reply(services, ticket.id, "!reopen")
    assert not reply.ok and f"#{ticket.id}" in reply.text


async def test_command_by_ticket_id_and_outside_threads(services):
    ticket = open_escalated(services)
    command = AgentCommand(
        event_id="$btn1", platform="slack", agent=ANNA, command=Claim(), ticket_id=ticket.id
    )
    assert (await services.desk.handle(command)).ok
    nowhere = AgentCommand(event_id="$btn2", platform="slack", agent=ANNA, command=Claim())
    assert not (await services.desk.handle(nowhere)).ok


async def test_message_in_unknown_thread_is_ignored(services):
    event = ThreadMessage(
        event_id="$x",
        thread=ThreadRef("matrix", "!support:test", "$nope"),
        message_id="$m",
        agent=ANNA,
        text="hello",
    )
    assert await services.desk.handle(event) is None


async def test_a_reply_racing_its_new_thread_waits_for_it_instead_of_being_lost(services):
    """An agent can answer the instant the root appears, before the worker has stored the
    thread's id: the reply must wait for it, not be taken for a stranger's thread."""
    ticket = open_escalated(services)
    now = services.ctx.clock.now()
    with services.db.transaction() as session:
        [opening] = delivery.claim_outbox(
            session, worker="w", now=now, lease=timedelta(minutes=2), limit=10
        )
    assert opening.operation == "open_thread"
    thread = ThreadRef(platform=opening.platform, channel=opening.channel, thread_id="$fresh")
    event = ThreadMessage(
        event_id="$quick", thread=thread, message_id="$quick", agent=ANNA, text="Już patrzę"
    )
    handled = asyncio.create_task(services.desk.handle(event))
    await asyncio.sleep(0.3)
    assert not handled.done()  # waiting while the opening is in flight

    with services.db.transaction() as session:  # what the worker records once Matrix answers
        session.add(
            ThreadLink(
                ticket_id=ticket.id,
                platform=opening.platform,
                channel=opening.channel,
                thread_id="$fresh",
                root_message_id="$fresh",
                created_at=now,
            )
        )
        session.get(OutboxItem, opening.id).state = "done"
    await asyncio.wait_for(handled, 2)
    assert shop_visible(services, ticket.id)[-1] == ("agent", "Już patrzę")


async def test_a_reply_in_a_thread_that_is_no_tickets_is_ignored_at_once(services):
    open_escalated(services)  # its opening is queued, not in flight
    thread = ThreadRef(platform="matrix", channel="!support:test", thread_id="$chatter")
    event = ThreadMessage(
        event_id="$chat", thread=thread, message_id="$chat", agent=ANNA, text="Kawa?"
    )
    assert await asyncio.wait_for(services.desk.handle(event), 0.5) is None


def test_a_claim_is_undone_with_the_transaction_that_failed(services):
    """The dedupe claim must commit only with the event's effects: were it to stick after a
    failure, the platform's redelivery would be taken for a duplicate and the event lost."""
    now = services.ctx.clock.now()
    with pytest.raises(RuntimeError), services.db.transaction() as session:
        assert repo.claim_inbound(session, "matrix", "$once", now)
        raise RuntimeError("handling failed half-way")
    with services.db.transaction() as session:
        assert repo.claim_inbound(session, "matrix", "$once", now)  # redelivery is handled
        assert not repo.claim_inbound(session, "matrix", "$once", now)  # a replay is not


# -- bridge fidelity (issue 14) -------------------------------------------------------------------


def _edit(message_id: str, text: str, event_id: str, **extra) -> ThreadMessageEdited:
    return ThreadMessageEdited(
        event_id=event_id, platform="matrix", message_id=message_id, agent=ANNA, text=text, **extra
    )


async def test_an_edit_into_a_note_withdraws_a_reply_and_tells_the_agent(services):
    ticket = open_escalated(services)
    await agent_reply(
        services,
        ticket.id,
        "Zrzut w załączniku",
        message_id="$r1",
        files=(InboundFile("ekran.png", "image/png", PNG_1X1),),
    )
    reply = await services.desk.handle(_edit("$r1", "!note to ich błąd, nie nasz", "$e1"))
    assert reply.ok and "Wycofano" in reply.text
    assert reply.thread == ThreadRef("matrix", "!support:test", f"$root{ticket.id}")
    assert [a for a, _ in shop_visible(services, ticket.id)] == ["shop", "bot"]
    with services.db.transaction() as session:
        note = repo.ticket_messages(session, ticket.id, include_notes=True)[-1]
        files = repo.message_attachments(session, [note.id])
        assert (note.author, note.body) == ("note", "to ich błąd, nie nasz")
        actions = [e.action for e in session.exec(select(AuditEntry)).all()]
    assert "withdraw" in actions
    # Its file stays for the agents, but the shop cannot fetch it any more.
    [item] = files
    shop = services.inbox
    with pytest.raises(NotFound):
        shop.attachment(1, ticket.id, item.id)


async def test_an_edit_keeps_a_note_a_note_unless_it_gains_the_reply_prefix(services):
    ticket = open_escalated(services)
    await agent_reply(services, ticket.id, "!note sprawdzić logi", message_id="$n1")
    assert await services.desk.handle(_edit("$n1", "!note sprawdzić logi i bazę", "$e1")) is None
    assert all("logi" not in body for _, body in shop_visible(services, ticket.id))
    published = await services.desk.handle(
        _edit(
            "$n1",
            "!reply Sprawdziliśmy logi",
            "$e2",
            html="<p>!reply <b>Sprawdziliśmy</b> logi</p>",
        )
    )
    assert "wysłana do sklepu" in published.text
    with services.db.transaction() as session:
        message = repo.ticket_messages(session, ticket.id, include_notes=False)[-1]
        row = session.get(Ticket, ticket.id)
    assert (message.author, message.body, message.edited_at) == (
        "agent",
        "Sprawdziliśmy logi",
        None,
    )
    assert message.body_html == "<p><strong>Sprawdziliśmy</strong> logi</p>"
    assert (row.status, row.unread) == (Status.WAITING, True)


async def test_deleting_a_message_deletes_its_files_unless_another_shares_the_bytes(services):
    ticket = open_escalated(services)
    png = (InboundFile("a.png", "image/png", PNG_1X1),)
    await agent_reply(services, ticket.id, "pierwszy", message_id="$d1", files=png)
    await agent_reply(services, ticket.id, "drugi", message_id="$d2", files=png)
    with services.db.transaction() as session:
        [key] = {a.storage_key for a in session.exec(select(Attachment)).all()}
    path = services.ctx.files.path(key)
    await services.desk.handle(
        ThreadMessageDeleted(event_id="$x1", platform="matrix", message_id="$d1", agent=ANNA)
    )
    assert path.exists()  # the second message still has the same bytes
    await services.desk.handle(
        ThreadMessageDeleted(event_id="$x2", platform="matrix", message_id="$d2", agent=ANNA)
    )
    assert not path.exists()
    with services.db.transaction() as session:
        assert session.exec(select(Attachment)).all() == []


async def test_chatter_to_a_colleague_stays_internal_and_is_marked(services):
    ticket = open_escalated(services)
    reply = await agent_reply(services, ticket.id, "@Tomek możesz zerknąć?", to_colleague=True)
    assert reply is not None and "Zostaje wewnętrzne" in reply.text and "!reply" in reply.text
    assert all("zerknąć" not in body for _, body in shop_visible(services, ticket.id))
    await agent_reply(
        services, ticket.id, "!reply @Tomek już wie, odezwiemy się", to_colleague=True
    )
    assert shop_visible(services, ticket.id)[-1] == ("agent", "@Tomek już wie, odezwiemy się")


async def test_files_that_cannot_go_to_the_shop_are_named_even_without_text(services):
    ticket = open_escalated(services)
    reply = await agent_reply(
        services,
        ticket.id,
        "",
        files=(InboundFile("logi.txt", "text/plain", b"ERROR 502"),),
        unavailable=("wideo.mp4",),
    )
    assert not reply.ok
    assert "logi.txt (niedozwolony typ)" in reply.text and "wideo.mp4" in reply.text
    assert all(a != "agent" for a, _ in shop_visible(services, ticket.id))


async def test_assign_takes_the_mentioned_agent_and_claim_lists_without_a_ticket(services):
    ticket = open_escalated(services)
    tomek = Agent(platform="matrix", user_id="@tomek:test", display_name="Tomek")
    reply = await agent_reply(services, ticket.id, "!assign @tomek:test", mentions=(tomek,))
    assert "przypisane do: Tomek" in reply.text
    with services.db.transaction() as session:
        row = session.get(Ticket, ticket.id)
    assert (row.assignee, row.assignee_id) == ("Tomek", "matrix:@tomek:test")
    listing = await services.desk.handle(
        AgentCommand(
            event_id="$l1", platform="matrix", agent=ANNA, command=Claim(), channel="!support:test"
        )
    )
    assert [c.ticket_id for c in listing.choices] == [ticket.id]
    assert listing.choices[0].label == f"#{ticket.id} Szablon sklepu"


async def test_resolve_reopen_and_article_are_posted_as_activity_lines(services, chat):
    ticket = open_escalated(services)
    await agent_reply(services, ticket.id, "!resolve")
    await agent_reply(services, ticket.id, "!reopen")
    await agent_reply(services, ticket.id, "!article p24-crc")
    with services.db.transaction() as session:
        posts = session.exec(select(OutboxItem).where(OutboxItem.operation == "post")).all()
        told = [session.get(Message, item.payload["message_id"]) for item in posts]
    assert [(m.extra["kind"], m.extra["by"]) for m in told] == [
        ("resolved", "Anna z supportu"),
        ("reopened", "Anna z supportu"),
        ("article", "Anna z supportu"),
    ]


async def test_agents_read_english_when_the_team_chooses_it(database_url, tmp_path, clock):
    config = make_config(database_url, tmp_path, chat={"language": "en"})
    services = build_core(
        config, secrets=Secrets.from_env({}), clock=clock, triager=KeywordTriager(), migrate=False
    )
    ticket = open_escalated(services)
    assert (await agent_reply(services, ticket.id, "!claim")).text == (
        f"Ticket #{ticket.id} assigned to Anna z supportu."
    )
    assert (await agent_reply(services, ticket.id, "!help")).text.startswith("Commands:")
    services.db.dispose()


def _posted_kinds(services, ticket_id: int) -> list[str]:
    with services.db.transaction() as session:
        items = session.exec(
            select(OutboxItem).where(
                OutboxItem.operation == "post", OutboxItem.ticket_id == ticket_id
            )
        ).all()
        return [
            session.get(Message, item.payload["message_id"]).extra.get("kind") for item in items
        ]


async def test_the_queue_notice_and_auto_resolution_reach_the_thread_too(services, clock):
    from datetime import UTC, datetime, timedelta

    from bot.housekeeping import Housekeeper

    clock.set(datetime(2026, 11, 28, 12, 0, tzinfo=UTC))  # Saturday: queued till Monday
    ticket = open_escalated(services, title="Zmiana szablonu")
    assert _posted_kinds(services, ticket.id) == []  # no thread yet
    clock.set(datetime(2026, 11, 30, 8, 30, tzinfo=UTC))
    services.tickets.advance_due()
    assert "queued" in _posted_kinds(services, ticket.id)  # agents see what the shop was told
    await agent_reply(services, ticket.id, "Dzień dobry, już patrzymy")
    clock.advance(days=8)
    Housekeeper(services.ctx).auto_resolve(clock.now() - timedelta(days=7))
    assert _posted_kinds(services, ticket.id)[-1] == "auto_resolved"


async def test_the_priority_a_ticket_has_already_changes_nothing_and_is_not_audited(services):
    ticket = open_escalated(services)
    reply = await agent_reply(services, ticket.id, "!priority normal")
    assert (reply.ok, reply.text) == (
        False,
        f"Zgłoszenie #{ticket.id} już ma priorytet normalny: nic się nie zmienia.",
    )
    with services.db.transaction() as session:
        actions = session.exec(
            select(AuditEntry.action).where(
                AuditEntry.ticket_id == ticket.id, AuditEntry.actor == ANNA.actor
            )
        ).all()
    assert actions == []  # a "priority" entry would count as a triage correction
