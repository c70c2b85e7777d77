"""The weekly report's figures from a fixture week built through the real service: a public
holiday (Wednesday 11.11.2026), a weekend, two agents, SLA targets met and missed, CSAT, gaps."""

from datetime import date

import pytest

from adapters.matrix.translate import notice_content
from adapters.slack.translate import announce_blocks, announce_fallback
from bot.commands import Move, Resolve, SetPriority
from bot.events import Agent, AgentCommand
from bot.housekeeping import Housekeeper
from bot.report_data import (
    AgentFigures,
    DayCounts,
    DepartmentCounts,
    KnowledgeGap,
    Satisfaction,
    Timing,
    TriageQuality,
)
from bot.report_text import duration, weekly_text
from bot.reports import collect, last_week
from bot.sla import SlaMonitor
from bot.views import LinkView
from bot.vocabulary import Priority
from tests.helpers import ANNA, agent_reply
from tests.scheduling.conftest import warsaw

BARTEK = Agent(platform="matrix", user_id="@bartek:test", display_name="Bartek")
_events = iter(range(1, 1000))


async def command(services, agent: Agent, ticket_id: int, command) -> None:
    reply = await services.desk.handle(
        AgentCommand(
            event_id=f"$cmd{next(_events)}",
            platform="matrix",
            agent=agent,
            command=command,
            ticket_id=ticket_id,
        )
    )
    assert reply.ok, reply.text


async def holiday_week(services, clock, open_ticket, shop, other_shop) -> dict[str, int]:
    """Monday 9.11 – Sunday 15.11.2026 (Wednesday a public holiday), and a ticket on each side."""
    ids = {}
    clock.set(warsaw(2026, 11, 6, 17, 0))  # Friday before: answered then, resolved in the week
    ids["returns"] = open_ticket(title="Zwroty towaru").id
    clock.set(warsaw(2026, 11, 6, 17, 30))
    await agent_reply(services, ids["returns"], "Sprawdzam.")
    clock.set(warsaw(2026, 11, 9, 8, 30))
    await command(services, BARTEK, ids["returns"], Resolve())  # 60 + 30 support minutes

    clock.set(warsaw(2026, 11, 9, 9, 0))
    ids["logo"] = open_ticket(title="Zmiana logo").id  # no article: a gap
    clock.set(warsaw(2026, 11, 9, 9, 30))
    await agent_reply(services, ids["logo"], "Już pomagamy.")  # 30 min
    clock.set(warsaw(2026, 11, 9, 10, 0))
    await command(services, ANNA, ids["logo"], Resolve())  # 60 min
    services.ratings.rate(shop=shop, ticket_id=ids["logo"], score=5, comment=None)
    ids["p24"] = open_ticket(title="Przelewy24 nie dziala", body="p24 nie działa").id
    clock.set(warsaw(2026, 11, 9, 10, 5))
    services.tickets.feedback(shop=shop, ticket_id=ids["p24"], helped=False)  # a gap too
    clock.set(warsaw(2026, 11, 9, 11, 0))
    await agent_reply(services, ids["p24"], "Patrzymy na konfigurację.", agent=BARTEK)  # 60 min
    await command(services, BARTEK, ids["p24"], SetPriority(Priority.CRITICAL))
    clock.set(warsaw(2026, 11, 9, 12, 0))
    # Triage misses it (no "p24"): no article, the wrong department, an agent corrects it.
    ids["p24b"] = open_ticket(title="przelewy 24 blad", body="przelewy 24 nie przyjmuje").id
    clock.set(warsaw(2026, 11, 9, 16, 30))
    SlaMonitor(services.ctx).check()  # its 4 h ran out at 16:00: the week's one breach
    clock.set(warsaw(2026, 11, 10, 9, 0))
    await agent_reply(services, ids["p24b"], "Klucz CRC jest zły.")  # 6 h + 1 h = 420 min
    await command(services, ANNA, ids["p24b"], Move("payments"))

    ids["crc"] = open_ticket(title="Przelewy24 CRC", body="p24 klucz CRC", by=other_shop).id
    services.tickets.feedback(shop=other_shop, ticket_id=ids["crc"], helped=True)  # deflected
    clock.set(warsaw(2026, 11, 10, 20, 0))
    ids["category"] = open_ticket(title="Nowa kategoria").id  # after hours: queued
    clock.set(warsaw(2026, 11, 11, 10, 0))  # the holiday
    await agent_reply(services, ids["category"], "Dodamy ją jutro.")  # 0 support minutes
    clock.set(warsaw(2026, 11, 11, 14, 0))
    ids["outage"] = open_ticket(title="Awaria platnosci", body="awaria, klienci nie płacą").id
    clock.set(warsaw(2026, 11, 11, 14, 20))
    await agent_reply(services, ids["outage"], "Naprawiamy.", agent=BARTEK)  # 20 wall minutes
    clock.set(warsaw(2026, 11, 11, 15, 0))
    await command(services, BARTEK, ids["outage"], Resolve())  # 60 wall minutes
    clock.set(warsaw(2026, 11, 11, 15, 30))
    services.ratings.rate(shop=shop, ticket_id=ids["outage"], score=2, comment="Za wolno!")

    clock.set(warsaw(2026, 11, 14, 11, 0))  # Saturday
    ids["logo2"] = open_ticket(title="zmiana logo sklepu").id
    clock.set(warsaw(2026, 11, 14, 12, 0))
    await agent_reply(services, ids["logo2"], "Zmienione.")
    await command(services, ANNA, ids["logo2"], Resolve())
    clock.set(warsaw(2026, 11, 14, 12, 30))
    services.ratings.rate(shop=shop, ticket_id=ids["logo2"], score=4, comment=" <b>ok</b> ")
    clock.set(warsaw(2026, 11, 15, 23, 30))  # Sunday night, still the week
    ids["codes"] = open_ticket(title="Kody rabatowe").id
    clock.set(warsaw(2026, 11, 16, 0, 30))  # Monday: next week's
    open_ticket(title="Faktura korekta")

    services.ratings.rate(shop=shop, ticket_id=ids["returns"], score=1, comment="Next week's")
    return ids


@pytest.fixture
async def week(services, runtime, clock, open_ticket, shop, other_shop):
    ids = await holiday_week(services, clock, open_ticket, shop, other_shop)
    clock.set(warsaw(2026, 11, 17, 8, 0))
    start, end = last_week(clock.now(), services.ctx.hours)
    return ids, collect(services.ctx, start=start, end=end)


def test_the_last_week_is_monday_to_monday_local_time_167_or_169_hours(services):
    hours = services.ctx.hours
    assert last_week(warsaw(2026, 11, 17, 8, 0), hours) == (
        warsaw(2026, 11, 9, 0, 0),
        warsaw(2026, 11, 16, 0, 0),
    )
    # Monday just after midnight: the week that ended a minute ago.
    assert last_week(warsaw(2026, 11, 16, 0, 1), hours) == (
        warsaw(2026, 11, 9, 0, 0),
        warsaw(2026, 11, 16, 0, 0),
    )
    start, end = last_week(warsaw(2026, 10, 27, 9, 0), hours)
    assert (start, end) == (warsaw(2026, 10, 19, 0, 0), warsaw(2026, 10, 26, 0, 0))
    assert (end - start).total_seconds() == 169 * 3600  # the October night is an hour longer
    start, end = last_week(warsaw(2026, 3, 30, 9, 0), hours)
    assert (end - start).total_seconds() == 167 * 3600


async def test_counts_per_day_and_department(week):
    _, report = week
    assert (report.opened, report.deflected, report.resolved) == (8, 1, 4)
    assert report.days == (
        DayCounts(date(2026, 11, 9), opened=3, deflected=0, resolved=2, working_day=True),
        DayCounts(date(2026, 11, 10), opened=2, deflected=1, resolved=0, working_day=True),
        DayCounts(date(2026, 11, 11), opened=1, deflected=0, resolved=1, working_day=False),
        DayCounts(date(2026, 11, 12), opened=0, deflected=0, resolved=0, working_day=True),
        DayCounts(date(2026, 11, 13), opened=0, deflected=0, resolved=0, working_day=True),
        DayCounts(date(2026, 11, 14), opened=1, deflected=0, resolved=1, working_day=False),
        DayCounts(date(2026, 11, 15), opened=1, deflected=0, resolved=0, working_day=False),
    )
    assert report.departments == (
        DepartmentCounts("other", opened=4, deflected=0, resolved=3),
        DepartmentCounts("payments", opened=4, deflected=1, resolved=1),
    )
    assert report.queued == 3  # Tuesday evening's, Saturday's and Sunday night's
    assert report.breaches == 1


async def test_times_against_the_sla_targets(week):
    _, report = week
    assert report.first_response == (
        Timing(Priority.CRITICAL, count=2, median=40.0, p90=60.0, target=30, within_target=1),
        Timing(Priority.NORMAL, count=4, median=15.0, p90=420.0, target=240, within_target=3),
    )
    assert report.resolution == (
        Timing(Priority.CRITICAL, count=1, median=60.0, p90=60.0, target=240, within_target=1),
        Timing(Priority.NORMAL, count=3, median=60.0, p90=90.0, target=2400, within_target=3),
    )


async def test_holiday_and_weekend_work_and_triage_corrections(week):
    _, report = week
    # The queued ticket answered on the holiday, the outage, Saturday's ticket.
    assert report.off_hours_handled == 3
    # Escalated in the week: logo, both Przelewy24 tickets and the outage (queued ones were
    # answered before support hours released them); one re-prioritised, one moved.
    assert report.triage == TriageQuality(escalated=4, reprioritised=1, moved=1)


async def test_per_agent_figures(week):
    _, report = week
    assert report.agents == (
        AgentFigures("Anna z supportu", replies=4, resolved=2, median_first_response=15.0),
        AgentFigures("Bartek", replies=2, resolved=2, median_first_response=40.0),
    )


async def test_satisfaction_and_knowledge_gaps(week):
    ids, report = week
    assert report.satisfaction == Satisfaction(
        count=3,
        average=11 / 3,
        by_score={1: 0, 2: 1, 3: 0, 4: 1, 5: 1},
        comments=("<b>ok</b>", "Za wolno!"),  # the newest first, shop text kept as typed
    )
    # No article suggested, or "Nie pomogło": every ticket of the week but the deflected one.
    assert report.gaps == (
        KnowledgeGap("zmiana logo", "other", tickets=2, examples=(ids["logo2"], ids["logo"])),
        KnowledgeGap("przelewy24", "payments", tickets=2, examples=(ids["p24b"], ids["p24"])),
        KnowledgeGap("kody rabatowe", "other", tickets=1, examples=(ids["codes"],)),
        KnowledgeGap("nowa kategoria", "other", tickets=1, examples=(ids["category"],)),
        KnowledgeGap("platnosci", "payments", tickets=1, examples=(ids["outage"],)),
    )


async def test_the_weekly_text_in_polish(week, services):
    _, report = week
    assert weekly_text(report, language="pl", hours=services.ctx.hours) == (
        "📊 Pomoc: raport tygodniowy 09.11 – 15.11.2026\n"
        "Nowe: 8 · rozwiązane artykułem: 1 · rozwiązane przez zespół: 4 · w kolejce poza "
        "godzinami: 3\n"
        "Działy: other 4 (artykułem 0, zespół 3) · payments 4 (artykułem 1, zespół 1)\n"
        "Dni (nowe/artykułem/zespół): pn 09.11 3/0/2 · wt 10.11 2/1/0 · śr 11.11 (wolne) 1/0/1 · "
        "czw 12.11 0/0/0 · pt 13.11 0/0/0 · sob 14.11 (wolne) 1/0/1 · nd 15.11 (wolne) 1/0/0\n"
        "Pierwsza odpowiedź (czas SLA): krytyczny (2): mediana 40 min, p90 1 h — cel 30 min: "
        "w celu 1 z 2 (50%) · normalny (4): mediana 15 min, p90 7 h — cel 4 h: w celu 3 z 4 "
        "(75%)\n"
        "Rozwiązanie (czas SLA): krytyczny (1): mediana 1 h, p90 1 h — cel 4 h: w celu 1 z 1 "
        "(100%) · normalny (3): mediana 1 h, p90 1 h 30 min — cel 40 h: w celu 3 z 3 (100%)\n"
        "Przekroczenia SLA: 1 · obsłużone w weekendy i święta: 3\n"
        "Korekty triażu: z 4 przekazanych zespołowi zmieniono priorytet 1 (25%), przeniesiono "
        "do innego działu 1 (25%)\n"
        "Zadowolenie sklepów: 3,7/5 z 3 ocen (5★ 1 · 4★ 1 · 3★ 0 · 2★ 1 · 1★ 0)\n"
        "  „<b>ok</b>”\n"
        "  „Za wolno!”\n"
        "Agenci:\n"
        "  Anna z supportu: odpowiedzi 4, rozwiązane 2, mediana pierwszej odpowiedzi 15 min\n"
        "  Bartek: odpowiedzi 2, rozwiązane 2, mediana pierwszej odpowiedzi 40 min\n"
        "Luki w bazie wiedzy (brakujące artykuły):\n"
        "  zmiana logo (other): zgłoszenia 2, np. #8, #2\n"
        "  przelewy24 (payments): zgłoszenia 2, np. #4, #3\n"
        "  kody rabatowe (other): zgłoszenia 1, np. #9\n"
        "  nowa kategoria (other): zgłoszenia 1, np. #6\n"
        "  platnosci (payments): zgłoszenia 1, np. #7"
    )


async def test_the_weekly_text_in_english(week, services):
    _, report = week
    lines = weekly_text(report, language="en", hours=services.ctx.hours).splitlines()
    assert lines[0] == "📊 Pomoc: weekly report 09.11 – 15.11.2026"
    assert lines[7] == (
        "Triage corrections: of 4 escalated, re-prioritised 1 (25%), moved to another "
        "department 1 (25%)"
    )
    assert lines[8] == (
        "Shops' satisfaction: 3.7/5 from 3 ratings (5★ 1 · 4★ 1 · 3★ 0 · 2★ 1 · 1★ 0)"
    )
    assert lines[-1] == "  platnosci (payments): tickets 1, e.g. #7"


async def test_shop_text_in_the_report_stays_inert_in_slack_and_matrix(week, services):
    _, report = week
    message = weekly_text(report, language="pl", hours=services.ctx.hours)
    matrix = notice_content(message)
    assert "„&lt;b&gt;ok&lt;/b&gt;”" in matrix["formatted_body"]
    assert "<b>" not in matrix["formatted_body"]
    slack = announce_blocks(message)
    elements = [e for b in slack for s in b["elements"] for e in s["elements"]]
    assert {e["type"] for e in elements} == {"text"}  # literals: Slack never parses mrkdwn
    assert "„<b>ok</b>”" in "".join(e["text"] for e in elements)


def test_the_page_link_ends_the_announcement_as_a_link_in_slack_and_matrix():
    page = LinkView("https://pomoc.example/managers?days=7&exp=1|2&sig=<s>", "Szczegóły i CSV")
    blocks = announce_blocks("Nowe: 8", page)
    assert blocks[-1] == {
        "type": "rich_text",
        "elements": [
            {
                "type": "rich_text_section",
                "elements": [{"type": "link", "url": page.url, "text": "Szczegóły i CSV"}],
            }
        ],
    }
    assert announce_fallback("Nowe: <8>", page) == (
        "Nowe: &lt;8&gt;\n"
        "<https://pomoc.example/managers?days=7&amp;exp=1%7C2&amp;sig=&lt;s&gt;|Szczegóły i CSV>"
    )
    matrix = notice_content("Nowe: 8", page_link=page)
    assert matrix["body"] == (
        "Nowe: 8\nSzczegóły i CSV: https://pomoc.example/managers?days=7&exp=1|2&sig=<s>"
    )
    assert matrix["formatted_body"] == (
        'Nowe: 8<br><a href="https://pomoc.example/managers?days=7&amp;exp=1|2&amp;sig=&lt;s&gt;">'
        "Szczegóły i CSV</a>"
    )


def test_durations_read_quickly():
    assert [duration(m) for m in (0, 0.4, 45, 60, 85, 2400, 61.6)] == [
        "0 min",
        "0 min",
        "45 min",
        "1 h",
        "1 h 25 min",
        "40 h",
        "1 h 02 min",
    ]


async def test_a_week_across_the_dst_change_counts_local_days(
    services, runtime, clock, open_ticket
):
    """19.10 – 25.10.2026: the clocks go back at 03:00 on Sunday 25.10, the week has 169 h."""
    clock.set(warsaw(2026, 10, 24, 22, 0))  # Saturday, 20:00 UTC
    outage = open_ticket(title="Awaria sklepu", body="awaria, sklep nie działa")
    clock.set(warsaw(2026, 10, 25, 4, 0))  # Sunday, 03:00 UTC: seven hours later, not six
    await agent_reply(services, outage.id, "Już naprawiamy.")
    clock.set(warsaw(2026, 10, 25, 23, 30))  # Sunday night in winter time: 22:30 UTC
    open_ticket(title="Kody rabatowe")
    clock.set(warsaw(2026, 10, 26, 0, 15))  # Monday: the next week
    open_ticket(title="Nowa kategoria")
    clock.set(warsaw(2026, 10, 27, 9, 0))
    start, end = last_week(clock.now(), services.ctx.hours)
    report = collect(services.ctx, start=start, end=end)
    assert [(d.day, d.opened, d.working_day) for d in report.days] == [
        (date(2026, 10, 19), 0, True),
        (date(2026, 10, 20), 0, True),
        (date(2026, 10, 21), 0, True),
        (date(2026, 10, 22), 0, True),
        (date(2026, 10, 23), 0, True),
        (date(2026, 10, 24), 1, False),
        (date(2026, 10, 25), 1, False),
    ]
    assert report.first_response == (
        Timing(Priority.CRITICAL, count=1, median=420.0, p90=420.0, target=30, within_target=0),
    )
    assert report.off_hours_handled == 1
    assert report.agents == (
        AgentFigures("Anna z supportu", replies=1, resolved=0, median_first_response=420.0),
    )


async def test_a_deflected_ticket_reopened_and_resolved_by_an_agent_counts_as_the_agents(
    services, runtime, clock, open_ticket, shop
):
    clock.set(warsaw(2026, 11, 16, 10, 0))
    crc = open_ticket(title="Przelewy24 CRC", body="p24 klucz CRC").id
    clock.set(warsaw(2026, 11, 16, 10, 5))
    services.tickets.feedback(shop=shop, ticket_id=crc, helped=True)
    clock.set(warsaw(2026, 11, 16, 10, 30))
    services.tickets.add_shop_message(shop=shop, ticket_id=crc, body="Jednak nie działa.")
    clock.set(warsaw(2026, 11, 16, 11, 0))
    await agent_reply(services, crc, "Proszę wygenerować nowy klucz.")
    clock.set(warsaw(2026, 11, 16, 11, 30))
    await command(services, ANNA, crc, Resolve())
    clock.set(warsaw(2026, 11, 24, 8, 0))
    start, end = last_week(clock.now(), services.ctx.hours)
    report = collect(services.ctx, start=start, end=end)
    assert (report.opened, report.deflected, report.resolved) == (1, 0, 1)
    assert report.resolution == (
        Timing(Priority.NORMAL, count=1, median=90.0, p90=90.0, target=2400, within_target=1),
    )


async def test_a_rating_comment_is_quoted_on_one_short_line(
    services, runtime, clock, open_ticket, shop
):
    clock.set(warsaw(2026, 11, 16, 10, 0))
    ticket = open_ticket(title="Zmiana logo").id
    await agent_reply(services, ticket, "Zmienione.")
    await command(services, ANNA, ticket, Resolve())
    faked = "Szybko.\n\nPrzekroczenia SLA: 0\r\n\tAgenci:\n" + "ą" * 300
    services.ratings.rate(shop=shop, ticket_id=ticket, score=5, comment=faked)
    clock.set(warsaw(2026, 11, 24, 8, 0))
    start, end = last_week(clock.now(), services.ctx.hours)
    report = collect(services.ctx, start=start, end=end)
    head = "Szybko. Przekroczenia SLA: 0 Agenci: "
    quoted = head + "ą" * (199 - len(head)) + "…"
    assert report.satisfaction.comments == (quoted,)
    assert len(quoted) == 200
    lines = weekly_text(report, language="pl", hours=services.ctx.hours).splitlines()
    assert lines[9:11] == [f"  „{quoted}”", "Agenci:"]


async def test_an_auto_resolve_counts_as_resolved_but_not_in_the_resolution_times(
    services, runtime, clock, open_ticket
):
    clock.set(warsaw(2026, 11, 9, 9, 0))
    silent = open_ticket(title="Zmiana logo").id
    clock.set(warsaw(2026, 11, 9, 9, 30))
    await agent_reply(services, silent, "Proszę sprawdzić ustawienia.")
    clock.set(warsaw(2026, 11, 16, 9, 30))  # a week of the shop's silence
    assert Housekeeper(services.ctx).run().auto_resolved == 1
    clock.set(warsaw(2026, 11, 16, 10, 0))
    answered = open_ticket(title="Kody rabatowe").id
    clock.set(warsaw(2026, 11, 16, 10, 30))
    await agent_reply(services, answered, "Dodane.")
    clock.set(warsaw(2026, 11, 16, 11, 0))
    await command(services, ANNA, answered, Resolve())
    clock.set(warsaw(2026, 11, 24, 8, 0))
    start, end = last_week(clock.now(), services.ctx.hours)
    report = collect(services.ctx, start=start, end=end)
    assert (report.opened, report.deflected, report.resolved) == (1, 0, 2)
    assert report.resolution == (
        Timing(Priority.NORMAL, count=1, median=60.0, p90=60.0, target=2400, within_target=1),
    )
