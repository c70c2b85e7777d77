"""Off-hours queueing: the shop hears when to expect an answer, agents get the queue at opening."""

from sqlmodel import select

from bot.dispatch import OutboxDispatcher
from bot.lifecycle import Status
from bot.snapshots import ticket_view
from storage import repositories as repo
from storage.models import OutboxItem, Ticket
from tests.scheduling.conftest import ONCALL, warsaw


def bot_messages(services, ticket_id: int) -> list[str]:
    with services.db.transaction() as session:
        messages = repo.ticket_messages(session, ticket_id, include_notes=False)
    return [m.body for m in messages if m.author == "bot"]


def outbox(services) -> list[OutboxItem]:
    with services.db.transaction() as session:
        return list(session.exec(select(OutboxItem).order_by(OutboxItem.id)))


def test_friday_1759_escalates_and_1801_queues_until_monday(services, clock, open_ticket):
    clock.set(warsaw(2026, 11, 27, 17, 59))
    early = open_ticket(title="Zmiana logo")
    clock.set(warsaw(2026, 11, 27, 18, 1))
    late = open_ticket(title="Zmiana stopki")
    assert early.status == Status.OPEN
    assert late.status == Status.QUEUED
    assert late.due_at == warsaw(2026, 11, 30, 8, 0)
    assert "Odpowiemy w poniedziałek (30.11) od 8:00." in bot_messages(services, late.id)[0]
    # Only the ticket from before closing reaches the agents' channel tonight.
    assert [(i.ticket_id, i.operation) for i in outbox(services)] == [(early.id, "open_thread")]


async def test_monday_opening_releases_the_weekend_queue_in_creation_order(
    services, runtime, chat, clock, open_ticket
):
    titles = ["Zmiana logo", "Faktura za listopad", "Kody rabatowe", "Nowa kategoria"]
    moments = [
        warsaw(2026, 11, 27, 19, 0),
        warsaw(2026, 11, 28, 10, 0),
        warsaw(2026, 11, 29, 3, 0),
        warsaw(2026, 11, 30, 7, 59),
    ]
    for title, moment in zip(titles, moments, strict=True):
        clock.set(moment)
        assert open_ticket(title=title).status == Status.QUEUED
    clock.set(warsaw(2026, 11, 29, 22, 0))
    assert services.tickets.advance_due() == 0  # no weekend flood in the agents' channels
    await runtime.dispatcher.deliver_once()
    assert chat.threads == {}

    clock.set(warsaw(2026, 11, 30, 8, 0, 10))
    assert services.tickets.advance_due() == 4
    opens = [i for i in outbox(services) if i.operation == "open_thread"]
    assert [i.ticket_id for i in opens] == sorted(i.ticket_id for i in opens)
    # One item per pass: a batch is delivered concurrently, which may reorder roots across
    # tickets (see the report on bot/dispatch.py); the outbox order itself is creation order.
    one_by_one = OutboxDispatcher(services.ctx, {"matrix": chat}, worker_id="t", batch=1)
    while await one_by_one.deliver_once():
        pass
    assert [view.title for view in chat.threads.values()] == titles
    assert all(view.mention is None for view in chat.threads.values())
    with services.db.transaction() as session:
        statuses = {t.status for t in session.exec(select(Ticket))}
    assert statuses == {Status.OPEN}


async def test_critical_on_sunday_night_pages_oncall_at_once(
    services, runtime, chat, clock, open_ticket
):
    clock.set(warsaw(2026, 11, 29, 23, 30))
    ticket = open_ticket(title="Awaria sklepu", body="Awaria: klienci nie mogą płacić.")
    assert ticket.status == Status.OPEN
    assert "dyżurnemu" in bot_messages(services, ticket.id)[0]
    await runtime.dispatcher.deliver_once()
    (view,) = chat.threads.values()
    assert view.is_critical and view.mention == ONCALL


async def test_critical_on_a_holiday_pages_oncall_but_not_on_a_working_day(
    services, clock, open_ticket
):
    clock.set(warsaw(2026, 11, 11, 12, 0))
    holiday = open_ticket(title="Awaria koszyka", body="Awaria koszyka w sklepie.")
    clock.set(warsaw(2026, 11, 12, 12, 0))
    weekday = open_ticket(title="Awaria płatności", body="Awaria płatności w sklepie.")
    with services.db.transaction() as session:
        views = [
            ticket_view(session, session.get(Ticket, t.id), services.ctx, platform=platform)
            for t in (holiday, weekday)
            for platform in ("matrix", "slack")
        ]
    # Slack has no on-call configured here: no mention rather than an empty one.
    assert [v.mention for v in views] == [ONCALL, None, None, None]


def test_a_suggestion_timing_out_at_night_is_queued_not_escalated(services, clock, open_ticket):
    clock.set(warsaw(2026, 11, 27, 17, 55))
    ticket = open_ticket(title="Przelewy24 błąd", body="p24 zwraca błąd CRC")
    assert ticket.status == Status.SUGGESTED
    clock.set(warsaw(2026, 11, 27, 18, 6))
    assert services.tickets.advance_due() == 1
    with services.db.transaction() as session:
        ticket = session.get(Ticket, ticket.id)
    assert ticket.status == Status.QUEUED
    assert ticket.due_at == warsaw(2026, 11, 30, 8, 0)


def test_a_queued_ticket_due_on_a_day_closed_since_waits_for_the_next_opening(
    services, clock, open_ticket
):
    clock.set(warsaw(2026, 11, 27, 20, 0))
    ticket = open_ticket()
    clock.set(warsaw(2026, 11, 30, 9, 0))
    # Its opening passed while support stayed closed (e.g. a day declared closed after queueing).
    with services.db.transaction() as session:
        row = session.get(Ticket, ticket.id)
        row.due_at = warsaw(2026, 11, 29, 8, 0)
    clock.set(warsaw(2026, 11, 30, 20, 0))
    assert services.tickets.advance_due() == 0
    with services.db.transaction() as session:
        row = session.get(Ticket, ticket.id)
    assert row.status == Status.QUEUED
    assert row.due_at == warsaw(2026, 12, 1, 8, 0)
