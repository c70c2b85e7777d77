"""The managers' daily digest in Polish, `stats` on demand and the Prometheus metrics."""

from datetime import time

import pytest

from bot.commands import Stats
from bot.config import Secrets, SupportHoursConfig
from bot.digest import ManagerReports
from bot.events import AgentCommand
from bot.hours import SupportHours
from bot.reports import digest_period
from bot.sla import SlaMonitor
from tests.helpers import ANNA, agent_reply, auth
from tests.scheduling.conftest import MANAGERS, warsaw

HOURS = SupportHours(SupportHoursConfig())
METRICS_TOKEN = "metrics-token-for-tests"


@pytest.fixture
def secrets():
    """With a metrics token: the public app serves /metrics only behind one."""
    return Secrets.from_env({"POMOC_METRICS_TOKEN": METRICS_TOKEN})


def test_the_digest_covers_the_day_before_its_time_and_follows_dst():
    assert digest_period(warsaw(2026, 11, 25, 8, 31), HOURS, time(8, 30)) == (
        warsaw(2026, 11, 24, 8, 30),
        warsaw(2026, 11, 25, 8, 30),
    )
    assert digest_period(warsaw(2026, 11, 25, 8, 29), HOURS, time(8, 30)) == (
        warsaw(2026, 11, 23, 8, 30),
        warsaw(2026, 11, 24, 8, 30),
    )
    start, end = digest_period(warsaw(2026, 10, 25, 8, 30), HOURS, time(8, 30))
    assert (end - start).total_seconds() == 25 * 3600  # the October night is an hour longer


async def busy_day(services, runtime, clock, open_ticket, other_shop) -> None:
    """Tuesday 24.11: four tickets; one answered after 30 min, one deflected, one queued."""
    clock.set(warsaw(2026, 11, 24, 9, 0))
    answered = open_ticket(title="Zmiana logo")
    open_ticket(title="Przelewy24 błąd", body="p24 nie działa")  # payments, suggested
    clock.set(warsaw(2026, 11, 24, 9, 30))
    await agent_reply(services, answered.id, "Już pomagamy.")
    deflected = open_ticket(title="Przelewy24 CRC", body="p24 klucz CRC", by=other_shop)
    services.tickets.feedback(shop=other_shop, ticket_id=deflected.id, helped=True)
    clock.set(warsaw(2026, 11, 24, 20, 0))
    open_ticket(title="Nowa kategoria")  # off hours: queued
    clock.set(warsaw(2026, 11, 25, 8, 0))
    services.tickets.advance_due()
    SlaMonitor(services.ctx).check()  # the 09:00 suggestion is long overdue


async def test_daily_digest_contents_and_once_per_day(
    services, runtime, chat, clock, open_ticket, other_shop
):
    await busy_day(services, runtime, clock, open_ticket, other_shop)
    reports = ManagerReports(services.ctx)
    clock.set(warsaw(2026, 11, 25, 8, 30))
    assert reports.send_digest()
    assert not reports.send_digest()  # a failover rerun the same day: nothing new
    while await runtime.dispatcher.deliver_once():
        pass
    ((channel, text),) = chat.announcements[-1:]
    assert channel == MANAGERS
    assert text == (
        "Pomoc: podsumowanie dnia (24.11 08:30 – 25.11 08:30)\n"
        "Nowe: 4 · rozwiązane artykułem: 1 · rozwiązane przez zespół: 0 · w kolejce poza "
        "godzinami: 1 · przekroczenia SLA: 1\n"
        "Pierwsza odpowiedź (czas SLA): normalny (1): mediana 30 min, p90 30 min — "
        "cel 4 h: w celu 1 z 1 (100%)\n"
        "Rozwiązanie (czas SLA): –\n"
        "Działy: other 2 (artykułem 0, zespół 0) · payments 2 (artykułem 1, zespół 0)"
    )


async def test_stats_on_demand_through_the_desk(services, runtime, clock, open_ticket, other_shop):
    await busy_day(services, runtime, clock, open_ticket, other_shop)
    clock.set(warsaw(2026, 11, 25, 12, 0))
    open_ticket(title="Kody rabatowe")
    clock.advance(minutes=5)
    reply = await services.desk.handle(
        AgentCommand(event_id="$stats1", platform="matrix", agent=ANNA, command=Stats())
    )
    assert reply.ok
    assert reply.text == (
        "Pomoc dziś (25.11 00:00 – 25.11 12:05)\n"
        "Nowe: 1 · rozwiązane artykułem: 0 · rozwiązane przez zespół: 0 · w kolejce poza "
        "godzinami: 0 · przekroczenia SLA: 1\n"
        "Pierwsza odpowiedź (czas SLA): –\n"
        "Rozwiązanie (czas SLA): –\n"
        "Działy: other 1 (artykułem 0, zespół 0)\n"
        "Teraz: zaproponowano artykuły 0 · w kolejce 0 · otwarte 3 · czeka na sklep 1"
    )


async def test_metrics_report_tickets_outbox_and_sla(
    services, runtime, client, clock, open_ticket, other_shop
):
    await busy_day(services, runtime, clock, open_ticket, other_shop)
    response = await client.get("/metrics", headers=auth(METRICS_TOKEN))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    body = response.text
    assert 'pomoc_tickets{status="open"} 2.0' in body
    assert 'pomoc_tickets{status="waiting"} 1.0' in body
    assert 'pomoc_tickets{status="resolved"} 1.0' in body
    assert 'pomoc_outbox_items{state="pending"}' in body
    assert 'pomoc_outbox_items{state="dead"} 0.0' in body
    assert 'pomoc_sla_alerts_total{stage="breach"}' in body
    assert "pomoc_scheduler_leader 0.0" in body
