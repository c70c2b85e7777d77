"""SLA: support-hours clocks, a reminder in the thread, alerts to managers with a limit."""

import itertools
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.config import SlaConfig, SupportHoursConfig
from bot.hours import SupportHours
from bot.sla import BREACH, FIRST_RESPONSE, REMINDER, RESOLUTION, SlaMonitor, SlaPolicy
from storage.models import SlaAlert, Ticket
from tests.helpers import agent_reply, auth
from tests.scheduling.conftest import MANAGERS, warsaw

POLICY = SlaPolicy(SlaConfig(), SupportHours(SupportHoursConfig()))


def ticket(created, priority="normal", **fields) -> Ticket:
    return Ticket(
        id=7,
        shop_id=1,
        title="t",
        body="b",
        status="open",
        priority=priority,
        created_at=created,
        updated_at=created,
        last_activity_at=created,
        **fields,
    )


def sent(kind, stage, at, seq=1) -> SlaAlert:
    return SlaAlert(ticket_id=7, kind=kind, stage=stage, seq=seq, deadline=at, created_at=at)


def test_normal_tickets_count_support_hours_and_critical_ones_wall_clock():
    friday = warsaw(2026, 11, 27, 17, 0)
    assert POLICY.deadline(ticket(friday), FIRST_RESPONSE) == warsaw(2026, 11, 30, 11, 0)
    saturday = warsaw(2026, 11, 28, 23, 50)
    assert POLICY.deadline(ticket(saturday, "critical"), FIRST_RESPONSE) == warsaw(
        2026, 11, 29, 0, 20
    )
    # Resolution: 2400 support minutes = 40 h: 1 h on Friday, 30 h Mon-Wed, 9 h on Thursday.
    assert POLICY.deadline(ticket(friday), RESOLUTION) == warsaw(2026, 12, 3, 17, 0)


def test_the_clock_stops_overnight_so_no_reminder_at_night():
    created = warsaw(2026, 11, 25, 15, 0)  # due Thursday 09:00 after 3 h today and 1 h tomorrow
    t = ticket(created)
    assert POLICY.due_alerts(t, [], now=warsaw(2026, 11, 25, 23, 0)) == []
    (reminder,) = POLICY.due_alerts(t, [], now=warsaw(2026, 11, 26, 8, 30))
    assert (reminder.kind, reminder.stage) == (FIRST_RESPONSE, REMINDER)
    assert reminder.deadline == warsaw(2026, 11, 26, 9, 0)


def test_breach_alerts_repeat_after_a_pause_and_stop_at_the_limit():
    t = ticket(warsaw(2026, 11, 25, 8, 0))
    late = warsaw(2026, 11, 25, 12, 5)
    (first,) = POLICY.due_alerts(t, [sent(FIRST_RESPONSE, REMINDER, late)], now=late)
    assert (first.stage, first.seq) == (BREACH, 1)
    history = [sent(FIRST_RESPONSE, BREACH, late)]
    assert POLICY.due_alerts(t, history, now=late + timedelta(minutes=119)) == []
    (again,) = POLICY.due_alerts(t, history, now=late + timedelta(minutes=120))
    assert (again.seq, again.key) == (2, "sla:7:first_response:breach:2")
    history = [sent(FIRST_RESPONSE, BREACH, late, seq) for seq in (1, 2, 3)]
    assert POLICY.due_alerts(t, history, now=late + timedelta(days=30)) == []


def test_a_short_critical_target_is_not_reminded_at_once():
    created = warsaw(2026, 11, 28, 23, 0)
    t = ticket(created, "critical")
    assert POLICY.due_alerts(t, [], now=created + timedelta(minutes=1)) == []
    (reminder,) = POLICY.due_alerts(t, [], now=created + timedelta(minutes=15))
    assert reminder.deadline == created + timedelta(minutes=30)


def test_an_answered_ticket_only_watches_resolution():
    created = warsaw(2026, 11, 25, 8, 0)
    t = ticket(created, first_response_at=created + timedelta(minutes=5))
    alerts = POLICY.due_alerts(t, [], now=warsaw(2026, 12, 1, 8, 0))
    assert [(a.kind, a.stage) for a in alerts] == [(RESOLUTION, BREACH)]


@pytest.fixture
def monitor(services) -> SlaMonitor:
    return SlaMonitor(services.ctx)


async def test_reminder_in_the_thread_alert_to_managers_and_a_limit(
    services, runtime, chat, clock, client, shop_token, open_ticket, monitor
):
    clock.set(warsaw(2026, 11, 25, 10, 0))
    ticket = open_ticket(title="Zmiana logo")
    await runtime.dispatcher.deliver_once()
    assert monitor.check() == []

    clock.set(warsaw(2026, 11, 25, 13, 40))  # 20 support minutes before the 4 h target
    (reminder,) = monitor.check()
    assert reminder.stage == REMINDER
    assert monitor.check() == []  # once
    await runtime.dispatcher.deliver_once()
    ((_thread, note, _key),) = chat.posts
    assert note.author == "note" and note.author_name == "Pomoc SLA"
    assert "first response" in note.body and "14:00" in note.body

    detail = (await client.get(f"/api/v1/tickets/{ticket.id}", headers=auth(shop_token))).json()
    assert all("SLA" not in m["body"] for m in detail["messages"])  # the shop never sees it

    alerts = []
    for minutes in range(0, 24 * 60, 10):  # a day of checks every 10 minutes after the breach
        clock.set(warsaw(2026, 11, 25, 14, 0) + timedelta(minutes=minutes))
        alerts += monitor.check()
    await runtime.dispatcher.deliver_once()
    assert [(a.stage, a.seq) for a in alerts] == [(BREACH, 1), (BREACH, 2), (BREACH, 3)]
    assert [channel for channel, _ in chat.announcements] == [MANAGERS] * 3
    assert f"#{ticket.id}" in chat.announcements[0][1]
    assert "missed its first response target" in chat.announcements[0][1]
    with services.db.transaction() as session:
        rows = session.exec(select(SlaAlert).where(SlaAlert.stage == BREACH)).all()
    gaps = [b.created_at - a.created_at for a, b in itertools.pairwise(rows)]
    assert gaps == [timedelta(minutes=60)] * 2  # realert_minutes = 60 in these tests


async def test_an_agent_answer_stops_the_first_response_clock(
    services, clock, open_ticket, monitor
):
    clock.set(warsaw(2026, 11, 25, 10, 0))
    ticket = open_ticket()
    clock.set(warsaw(2026, 11, 25, 11, 0))
    await agent_reply(services, ticket.id, "Dzień dobry, już sprawdzamy.")
    clock.set(warsaw(2026, 11, 26, 18, 0))
    assert monitor.check() == []  # waiting for the shop: no alerts at all


def test_a_queued_weekend_ticket_is_not_in_breach_on_monday_morning(
    services, clock, open_ticket, monitor
):
    clock.set(warsaw(2026, 11, 28, 10, 0))
    open_ticket()
    clock.set(warsaw(2026, 11, 30, 8, 0))
    services.tickets.advance_due()
    clock.set(warsaw(2026, 11, 30, 11, 0))
    assert monitor.check() == []
    clock.set(warsaw(2026, 11, 30, 11, 30))
    assert [a.stage for a in monitor.check()] == [REMINDER]
