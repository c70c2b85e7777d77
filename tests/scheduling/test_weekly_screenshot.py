"""A busy week through the real service, charted: the figures the chart shows, and with
POMOC_SCREENSHOTS=1 the picture in docs/screenshots/weekly-report.png."""

import os
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bot.commands import Resolve
from bot.events import Agent, AgentCommand
from bot.hours import SupportHours
from bot.sla import SlaMonitor
from bot.weekly import prepare
from tests.helpers import ANNA, agent_reply
from tests.scheduling.conftest import warsaw

SCREENSHOT = Path(__file__).parents[2] / "docs" / "screenshots" / "weekly-report.png"
BARTEK = Agent(platform="matrix", user_id="@bartek:test", display_name="Bartek")
# Tickets opened on Monday 9.11 ... Sunday 15.11.2026; Wednesday 11.11 is a public holiday.
OPENED_PER_DAY = (14, 11, 3, 12, 9, 3, 2)
TITLES = ("Zmiana logo", "Kody rabatowe", "Faktura korekta", "Nowa kategoria", "Zwroty towaru")


@dataclass(order=True)
class Step:
    at: datetime
    order: int  # ties: open before feedback before reply before resolve
    action: str
    ticket: int


def plan(rng: random.Random, hours: SupportHours) -> list[Step]:
    """When each ticket opens, gets its article feedback, its first answer and is resolved:
    normal ones within support hours, critical ones (every 13th) at once, at any hour."""
    steps: list[Step] = []
    ticket = 0
    for day, count in enumerate(OPENED_PER_DAY):
        for _ in range(count):
            ticket += 1
            opened = warsaw(2026, 11, 9 + day, 8, 0) + timedelta(minutes=rng.randint(0, 600))
            steps.append(Step(opened, 0, "open", ticket))
            if ticket % 5 == 0:  # a Przelewy24 question: an article is suggested
                helped = ticket % 10 == 0
                feedback = opened + timedelta(minutes=4)
                steps.append(Step(feedback, 1, "helped" if helped else "not", ticket))
                if helped:
                    continue
            if ticket % 13 == 0:
                answered = opened + timedelta(minutes=rng.randint(8, 35))
                resolved = answered + timedelta(minutes=rng.randint(40, 260))
            else:
                answered = hours.deadline(opened, rng.choice((15, 40, 90, 150, 200, 300, 380)))
                resolved = hours.deadline(answered, rng.choice((30, 120, 400, 900, 2600)))
            steps.append(Step(answered, 2, "reply", ticket))
            if ticket % 6:
                steps.append(Step(resolved, 3, "resolve", ticket))
    end = warsaw(2026, 11, 16, 0, 0)
    return sorted(step for step in steps if step.at < end)


def title(ticket: int) -> tuple[str, str]:
    if ticket % 5 == 0:
        return "Przelewy24 nie działa", "p24 odrzuca płatności"
    if ticket % 13 == 0:
        return "Awaria koszyka", "awaria, klienci nie mogą zamówić"
    return TITLES[ticket % len(TITLES)], "Proszę o pomoc."


async def resolve(services, ticket_id: int, agent: Agent) -> None:
    reply = await services.desk.handle(
        AgentCommand(
            event_id=f"$resolve{ticket_id}",
            platform="matrix",
            agent=agent,
            command=Resolve(),
            ticket_id=ticket_id,
        )
    )
    assert reply.ok, reply.text


async def test_a_busy_week_as_the_chart_shows_it(services, runtime, clock, open_ticket, shop):
    ids: dict[int, int] = {}
    helped = 0
    for step in plan(random.Random(19), services.ctx.hours):
        clock.set(step.at)
        services.tickets.advance_due()
        SlaMonitor(services.ctx).check()
        agent = ANNA if step.ticket % 2 else BARTEK
        match step.action:
            case "open":
                ids[step.ticket] = open_ticket(*title(step.ticket)).id
            case "helped" | "not":
                helped += step.action == "helped"
                services.tickets.feedback(
                    shop=shop, ticket_id=ids[step.ticket], helped=step.action == "helped"
                )
            case "reply":
                await agent_reply(services, ids[step.ticket], "Już sprawdzamy.", agent=agent)
            case "resolve":
                await resolve(services, ids[step.ticket], agent)

    weekly = prepare(services.ctx, warsaw(2026, 11, 16, 9, 0))
    report = weekly.report
    assert weekly.key == "weekly:2026-W46"
    assert tuple(day.opened for day in report.days) == OPENED_PER_DAY
    assert [day.working_day for day in report.days] == [1, 1, 0, 1, 1, 0, 0]
    assert report.opened == sum(OPENED_PER_DAY) == 54
    assert report.deflected == helped == 5
    assert {t.priority for t in report.first_response} == {"critical", "normal"}
    if os.environ.get("POMOC_SCREENSHOTS"):
        SCREENSHOT.write_bytes(weekly.chart)
