"""Inbound agent events: replies, notes, relay modes, edits, deletes, commands, dedupe."""

import pytest
from sqlmodel import select

from bot.config import Secrets
from bot.events import (
    AgentCommand,
    InboundFile,
    ThreadMessage,
    ThreadMessageDeleted,
    ThreadMessageEdited,
    ThreadRef,
)
from bot.lifecycle import Status
from pomoc.cli import create_shop
from pomoc.runtime import build_services
from storage import repositories as repo
from storage.models import AuditEntry, Shop, Ticket
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
    services = build_services(
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
        event_id="$btn1", platform="slack", agent=ANNA, name="claim", ticket_id=ticket.id
    )
    assert (await services.desk.handle(command)).ok
    nowhere = AgentCommand(event_id="$btn2", platform="slack", agent=ANNA, name="claim")
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
