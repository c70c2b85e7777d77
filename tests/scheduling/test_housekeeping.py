"""Retention: silent waiting tickets auto-resolve, old resolved ones are purged, audit is pruned."""

from datetime import timedelta

from sqlmodel import select

from bot import texts
from bot.config import RetentionConfig
from bot.housekeeping import Cutoffs, Housekeeper
from bot.lifecycle import Status
from storage.models import (
    Attachment,
    AuditEntry,
    Message,
    MessageLink,
    OutboxItem,
    ThreadLink,
    Ticket,
)
from tests.helpers import agent_reply, auth
from tests.scheduling.conftest import png_file, warsaw


def housekeeper(services) -> Housekeeper:
    return Housekeeper(services.ctx)


def fetch(services, ticket_id: int) -> Ticket:
    with services.db.transaction() as session:
        return session.get(Ticket, ticket_id)


def resolve(services, ticket_id: int) -> None:
    clock = services.ctx.clock
    with services.db.transaction() as session:
        ticket = session.get(Ticket, ticket_id)
        ticket.status, ticket.resolved_at = Status.RESOLVED, clock.now()


def test_cutoffs_are_pure():
    now = warsaw(2026, 11, 25, 12, 0)
    cut = Cutoffs.at(now, RetentionConfig(resolved_days=90, auto_resolve_waiting_days=7))
    assert cut.auto_resolve == now - timedelta(days=7)
    assert cut.purge == now - timedelta(days=90)
    assert cut.audit == now - timedelta(days=365)


async def test_a_waiting_ticket_silent_for_a_week_is_resolved_and_the_shop_told(
    services, clock, client, shop_token, open_ticket
):
    clock.set(warsaw(2026, 11, 2, 10, 0))
    ticket = open_ticket()
    await agent_reply(services, ticket.id, "Proszę sprawdzić ustawienia.")
    clock.advance(days=6, hours=23)
    assert housekeeper(services).run().auto_resolved == 0
    clock.advance(hours=1)
    assert housekeeper(services).run().auto_resolved == 1
    row = fetch(services, ticket.id)
    assert row.status == Status.RESOLVED and row.unread
    detail = (await client.get(f"/api/v1/tickets/{ticket.id}", headers=auth(shop_token))).json()
    assert detail["messages"][-1]["body"] == texts.AUTO_RESOLVED.format(days=7)
    assert "7 dni" in detail["messages"][-1]["body"]


async def test_an_open_ticket_is_never_auto_resolved(services, clock, open_ticket):
    clock.set(warsaw(2026, 11, 2, 10, 0))
    ticket = open_ticket()
    clock.advance(days=30)
    housekeeper(services).run()
    assert fetch(services, ticket.id).status == Status.OPEN


async def test_purge_after_the_retention_period_deletes_content_and_unshared_files(
    services, runtime, clock, client, shop_token, open_ticket
):
    clock.set(warsaw(2026, 8, 3, 10, 0))
    old = open_ticket(title="Zmiana logo", files=[png_file("a.png")])
    await runtime.dispatcher.deliver_once()
    await agent_reply(services, old.id, "Gotowe.")
    same_file = open_ticket(title="Logo znowu", files=[png_file("b.png")])
    only_old = open_ticket(title="Faktura", files=[png_file("c.png")], body="Faktura PDF")
    with services.db.transaction() as session:
        keys = {a.ticket_id: a.storage_key for a in session.exec(select(Attachment))}
    # Give the third ticket a file of its own; the first two share one (same bytes).
    store = services.ctx.files
    distinct_key, _ = store.save(b"\x89PNG distinct bytes")
    with services.db.transaction() as session:
        row = session.exec(select(Attachment).where(Attachment.ticket_id == only_old.id)).one()
        row.storage_key = distinct_key
    resolve(services, old.id)
    resolve(services, only_old.id)

    clock.advance(days=89)
    assert housekeeper(services).run().purged == 0
    clock.advance(days=1, minutes=1)
    swept = housekeeper(services).run()
    assert (swept.purged, swept.files_deleted) == (2, 1)

    purged = fetch(services, old.id)
    assert purged.status == Status.PURGED and purged.title == "" and purged.body == ""
    with services.db.transaction() as session:
        for model in (Message, Attachment, ThreadLink, OutboxItem):
            rows = session.exec(select(model).where(model.ticket_id == old.id)).all()
            assert rows == [], model
        assert session.exec(select(MessageLink)).all() == []
        actions = session.exec(select(AuditEntry.action).where(AuditEntry.ticket_id == old.id))
        assert "purge" in list(actions)
    # The same screenshot is still attached to a live ticket: its file stays.
    assert store.path(keys[same_file.id]).exists()
    assert not store.path(distinct_key).exists()
    response = await client.get(f"/api/v1/tickets/{old.id}", headers=auth(shop_token))
    assert response.status_code == 404

    resolve(services, same_file.id)
    clock.advance(days=91)
    assert housekeeper(services).run().files_deleted == 1
    assert not store.path(keys[same_file.id]).exists()


def test_audit_keeps_only_the_configured_period(services, clock, open_ticket):
    clock.set(warsaw(2025, 11, 1, 10, 0))
    open_ticket()
    clock.set(warsaw(2026, 11, 2, 10, 0))
    open_ticket()
    with services.db.transaction() as session:
        before = len(session.exec(select(AuditEntry)).all())
    assert housekeeper(services).run().audit_deleted == before // 2
    with services.db.transaction() as session:
        left = session.exec(select(AuditEntry.created_at)).all()
    assert len(left) == before - before // 2
    assert min(left) >= warsaw(2026, 11, 2, 10, 0) - timedelta(days=365)
