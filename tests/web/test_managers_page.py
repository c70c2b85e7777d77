"""The managers' read-only page and its CSV: a signed, expiring link; the figures of the last
7 or 30 days; names and comments inert in HTML and in spreadsheets."""

import csv
import io
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

import httpx
import pytest
from typer.testing import CliRunner

from adapters.panel.web.managers_page import report_source
from bot import catalogue as cat
from bot import report_catalogue as rcat
from bot.report_data import (
    AgentFigures,
    DayCounts,
    DepartmentCounts,
    KnowledgeGap,
    Report,
    Satisfaction,
    Timing,
    TriageQuality,
)
from bot.vocabulary import Priority
from tests.helpers import auth

SCRIPT = "<script>alert(1)</script>"


def sample(start: datetime, end: datetime) -> Report:
    """A report with a figure in every section, and untrusted text where shops and agents write."""
    return Report(
        start=start,
        end=end,
        opened=12,
        deflected=3,
        resolved=7,
        days=(
            DayCounts(date(2026, 11, 21), opened=1, deflected=0, resolved=0, working_day=False),
            DayCounts(date(2026, 11, 23), opened=4, deflected=2, resolved=3, working_day=True),
        ),
        departments=(
            DepartmentCounts("payments", opened=8, deflected=3, resolved=4),
            DepartmentCounts("other", opened=4, deflected=0, resolved=3),
        ),
        first_response=(
            Timing(Priority.CRITICAL, count=2, median=12.5, p90=30.0, target=30, within_target=2),
            Timing(Priority.NORMAL, count=6, median=95.0, p90=250.0, target=240, within_target=5),
        ),
        resolution=(
            Timing(Priority.NORMAL, count=7, median=600.0, p90=None, target=None, within_target=0),
        ),
        breaches=1,
        off_hours_handled=2,
        triage=TriageQuality(escalated=9, reprioritised=1, moved=2),
        satisfaction=Satisfaction(
            count=4,
            average=4.25,
            by_score={1: 0, 2: 0, 3: 1, 4: 1, 5: 2},
            comments=("@SUM(A1:A9) świetnie", f"Dzięki {SCRIPT}"),
        ),
        agents=(
            AgentFigures("Anna z supportu", replies=9, resolved=5, median_first_response=14.0),
            AgentFigures('=HYPERLINK("http://zly.example")', 1, 0, median_first_response=None),
        ),
        gaps=(
            KnowledgeGap("+48 przelew zwrot", "payments", tickets=3, examples=(41, 37)),
            KnowledgeGap("", "other", tickets=1, examples=(12,)),
        ),
    )


class Source:
    """Stands in for `bot.reports.collect`: a made-up report, and the periods asked for."""

    def __init__(self, make=sample) -> None:
        self.make = make
        self.periods: list[tuple[datetime, datetime]] = []

    def __call__(self, ctx, *, start: datetime, end: datetime) -> Report:
        self.periods.append((start, end))
        return self.make(start, end)


@pytest.fixture
def source(runtime) -> Source:
    made = Source()
    runtime.app.dependency_overrides[report_source] = lambda: made
    yield made
    runtime.app.dependency_overrides.clear()


def link(services, *, days: int = 7) -> str:
    url = services.ctx.agent_links.managers_url(services.ctx.clock.now(), days=days)
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def csv_link(services, *, days: int = 7) -> str:
    return link(services, days=days).replace("/managers?", "/managers.csv?", 1)


def parsed(body: bytes, *, delimiter: str = ";") -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only after the byte-order mark
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=delimiter))


async def test_the_page_shows_every_figure_in_polish(client, services, source):
    page = await client.get(link(services))
    assert page.status_code == 200
    html = page.text
    for expected in (
        "Pomoc: raport dla kierowników",
        "Ostatnie 7 dni: 19.11.2026 – 25.11.2026",
        "Podsumowanie",
        "<dd>12</dd>",  # opened
        f"{cat.text(rcat.WEEKDAYS[5], 'pl')} 21.11",  # a Saturday, marked as a day off
        cat.text(rcat.CHART_DAY_OFF, "pl"),
        "payments",
        cat.text(rcat.REPORT_FIRST_RESPONSE, "pl"),
        "1 h 35 min",  # 95 minutes, the normal tickets' median
        "5 (83%)",  # within the target
        "4,2 / 5",  # the satisfaction average, a decimal comma
        "Anna z supportu",
        "przelew zwrot",
        "#41, #37",
        cat.text(rcat.REPORT_GAP_NO_WORDS, "pl"),
    ):
        assert expected in html, expected
    assert SCRIPT not in html and "Dzięki &lt;script&gt;" in html
    assert "<form" not in html and "<script" not in html
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-robots-tag"] == "noindex, nofollow"
    assert "default-src 'self'" in page.headers["content-security-policy"]
    csv_href = html.split('id="csv" href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert (await client.get(csv_href)).status_code == 200


async def test_7_and_30_days_are_whole_local_days_up_to_now(client, services, source, clock):
    # The fake clock: Wednesday 2026-11-25, 10:00 in Warsaw (09:00 UTC).
    assert (await client.get(link(services, days=7))).status_code == 200
    assert (await client.get(link(services, days=30))).status_code == 200
    assert (await client.get(csv_link(services, days=30))).status_code == 200
    assert source.periods == [
        (datetime(2026, 11, 18, 23, 0, tzinfo=UTC), clock.now()),  # from Thursday 19 Nov 00:00
        (datetime(2026, 10, 26, 23, 0, tzinfo=UTC), clock.now()),  # from 27 Oct, after DST ended
        (datetime(2026, 10, 26, 23, 0, tzinfo=UTC), clock.now()),
    ]
    page = await client.get(link(services, days=30))
    assert "Ostatnie 30 dni: 27.10.2026 – 25.11.2026" in page.text
    # Only the two periods the page offers.
    fourteen = link(services).replace("days=7", "days=14")
    assert (await client.get(fourteen)).status_code == 422
    assert len(source.periods) == 4


async def test_a_bad_or_expired_signature_opens_nothing(
    client, services, source, clock, shop_token
):
    page, sheet = link(services), csv_link(services)
    for refused in (
        "/managers",
        "/managers.csv?days=7",
        page.replace("sig=", "sig=A"),
        sheet.replace("sig=", "sig=A"),
        page.replace("exp=", "exp=1"),  # a later expiry is not what was signed
        page.replace("sig=", "sig=ą"),  # not even text the signature could never hold
    ):
        response = await client.get(refused)
        assert response.status_code == 403, refused
        assert "Ten link wygasł albo jest nieprawidłowy" in response.text
        assert response.headers["referrer-policy"] == "no-referrer"
    # Neither the shop's credentials nor an agent's ticket link open it.
    assert (await client.get("/managers", headers=auth(shop_token))).status_code == 403
    ticket_sig = services.ctx.agent_links.url(1, expires=clock.now().replace(year=2027))
    assert (await client.get("/managers?" + urlsplit(ticket_sig).query)).status_code == 403
    clock.advance(days=13, hours=23)
    assert (await client.get(page)).status_code == 200
    clock.advance(hours=1)  # fourteen days on: expired
    assert (await client.get(page)).status_code == 403
    assert (await client.get(sheet)).status_code == 403
    assert (await client.get(link(services))).status_code == 200  # a fresh one works
    assert len(source.periods) == 2


async def test_the_csv_holds_every_figure_one_per_row(client, services, source):
    response = await client.get(csv_link(services, days=30))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="pomoc-30-2026-11-25.csv"'
    )
    assert response.headers["referrer-policy"] == "no-referrer"
    summary, csat, triage = "Podsumowanie", "Zadowolenie sklepów (CSAT)", "Korekty triażu"
    # Headings and labels the weekly report shares, in its words.
    days, departments, agents, gaps, first, resolution, opened, article, team, median, p90 = (
        cat.text(entry, "pl")
        for entry in (
            rcat.CHART_DAYS,
            rcat.REPORT_DEPARTMENTS,
            rcat.REPORT_AGENTS,
            rcat.REPORT_GAPS,
            rcat.REPORT_FIRST_RESPONSE,
            rcat.REPORT_RESOLUTION,
            rcat.CHART_OPENED,
            rcat.CHART_DEFLECTED,
            rcat.CHART_RESOLVED,
            rcat.CHART_MEDIAN,
            rcat.CHART_P90,
        )
    )
    median, p90, target = (
        f"{median}, min",
        f"{p90}, min",
        f"{cat.text(rcat.CHART_TARGET_LINE, 'pl')}, min",
    )
    no_words, day_off = cat.text(rcat.REPORT_GAP_NO_WORDS, "pl"), cat.text(rcat.CHART_DAY_OFF, "pl")
    assert parsed(response.content) == [
        ["sekcja", "pozycja", "miara", "wartość"],
        [summary, "", opened, "12"],
        [summary, "", article, "3"],
        [summary, "", team, "7"],
        [summary, "", "w kolejce poza godzinami", "0"],
        [summary, "", "przekroczenia SLA", "1"],
        [summary, "", "obsłużone w weekendy i święta", "2"],
        [days, "2026-11-21", opened, "1"],
        [days, "2026-11-21", article, "0"],
        [days, "2026-11-21", team, "0"],
        [days, "2026-11-21", day_off, "1"],
        [days, "2026-11-23", opened, "4"],
        [days, "2026-11-23", article, "2"],
        [days, "2026-11-23", team, "3"],
        [days, "2026-11-23", day_off, "0"],
        [departments, "payments", opened, "8"],
        [departments, "payments", article, "3"],
        [departments, "payments", team, "4"],
        [departments, "other", opened, "4"],
        [departments, "other", article, "0"],
        [departments, "other", team, "3"],
        [first, "krytyczny", "zgłoszenia", "2"],
        [first, "krytyczny", median, "12,5"],
        [first, "krytyczny", p90, "30,0"],
        [first, "krytyczny", target, "30"],
        [first, "krytyczny", "w celu", "2"],
        [first, "normalny", "zgłoszenia", "6"],
        [first, "normalny", median, "95,0"],
        [first, "normalny", p90, "250,0"],
        [first, "normalny", target, "240"],
        [first, "normalny", "w celu", "5"],
        [resolution, "normalny", "zgłoszenia", "7"],
        [resolution, "normalny", median, "600,0"],
        [resolution, "normalny", p90, ""],
        [resolution, "normalny", target, ""],
        [resolution, "normalny", "w celu", "0"],
        [csat, "", "zgłoszenia", "4"],
        [csat, "", "średnia ocena", "4,2"],
        [csat, "ocena 5", "zgłoszenia", "2"],
        [csat, "ocena 4", "zgłoszenia", "1"],
        [csat, "ocena 3", "zgłoszenia", "1"],
        [csat, "ocena 2", "zgłoszenia", "0"],
        [csat, "ocena 1", "zgłoszenia", "0"],
        [csat, "", "komentarz", "'@SUM(A1:A9) świetnie"],  # never a formula
        [csat, "", "komentarz", f"Dzięki {SCRIPT}"],
        [triage, "", "przekazane zespołowi", "9"],
        [triage, "", "zmieniony priorytet", "1"],
        [triage, "", "przeniesione do innego działu", "2"],
        [agents, "Anna z supportu", "odpowiedzi", "9"],
        [agents, "Anna z supportu", "rozwiązane", "5"],
        [agents, "Anna z supportu", "mediana pierwszej odpowiedzi, min", "14,0"],
        [agents, '\'=HYPERLINK("http://zly.example")', "odpowiedzi", "1"],
        [agents, '\'=HYPERLINK("http://zly.example")', "rozwiązane", "0"],
        [agents, '\'=HYPERLINK("http://zly.example")', "mediana pierwszej odpowiedzi, min", ""],
        [gaps, "'+48 przelew zwrot · payments", "zgłoszenia", "3"],
        [gaps, "'+48 przelew zwrot · payments", "przykłady", "#41 #37"],
        [gaps, f"{no_words} · other", "zgłoszenia", "1"],
        [gaps, f"{no_words} · other", "przykłady", "#12"],
    ]


@pytest.mark.parametrize(
    "cell, shown",
    [
        ("=1+1", "'=1+1"),
        ("+48 600", "'+48 600"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Anna = 1", "Anna = 1"),
        ("", ""),
    ],
)
def test_cells_a_spreadsheet_would_run_are_shown_literally(cell, shown):
    from adapters.panel.web.managers_csv import neutralised

    assert neutralised(cell) == shown


async def test_in_english_when_the_chat_language_is_english(database_url, tmp_path, clock):
    from bot.config import Secrets
    from pomoc.runtime import Runtime, build_core
    from tests.conftest import make_config
    from tests.fakes.chat import FakeChat
    from tests.fakes.triage import KeywordTriager

    config = make_config(database_url, tmp_path, chat={"language": "en"})
    services = build_core(
        config, Secrets.from_env({}), clock=clock, triager=KeywordTriager(), migrate=False
    )
    runtime = Runtime(services, adapters={"matrix": FakeChat("matrix")})
    runtime.app.dependency_overrides[report_source] = lambda: Source()
    transport = httpx.ASGITransport(app=runtime.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://panel") as client:
        page = await client.get(link(services))
        assert "Pomoc: managers&#39; report" in page.text and "Last 7 days" in page.text
        rows = parsed((await client.get(csv_link(services))).content, delimiter=",")
    assert rows[0] == ["section", "item", "measure", "value"]
    assert rows[1] == ["Summary", "", "opened", "12"]
    assert ["Shops' satisfaction (CSAT)", "", "average score", "4.2"] in rows
    services.db.dispose()


async def open_ticket(client, token: str) -> None:
    response = await client.post(
        "/api/v1/tickets",
        headers=auth(token),
        data={"title": "Błąd przy wysyłce", "body": "Kurier nie odbiera paczek"},
    )
    assert response.status_code == 201, response.text


def summary_of(body: bytes) -> dict[str, str]:
    return {measure: value for section, _, measure, value in parsed(body)[1:7]}


async def test_the_figures_are_the_reports_of_the_period_asked_for(
    client, services, shop_token, clock
):
    now = clock.now()
    clock.advance(days=-20)
    await open_ticket(client, shop_token)
    clock.set(now)
    await open_ticket(client, shop_token)
    await open_ticket(client, shop_token)
    clock.advance(minutes=1)  # the period ends now, and counts what came before
    opened = cat.text(rcat.CHART_OPENED, "pl")
    week = await client.get(csv_link(services, days=7))
    month = await client.get(csv_link(services, days=30))
    assert summary_of(week.content)[opened] == "2"
    assert summary_of(month.content)[opened] == "3"
    page = await client.get(link(services, days=30))
    assert "<dd>3</dd>" in page.text


def test_managers_link_prints_a_fresh_link_the_server_honours(config, tmp_path, services):
    from pomoc.cli import app

    path = tmp_path / "pomoc.toml"
    path.write_text(
        f'[database]\nurl = "{config.database.url}"\n'
        f'[attachments]\ndirectory = "{config.attachments.directory}"\n'
        '[server]\npublic_url = "https://pomoc.example.pl/"\n'
    )
    printed = CliRunner().invoke(app, ["managers", "link", "--days", "30", "-c", str(path)])
    assert printed.exit_code == 0, printed.output
    url = urlsplit(printed.output.strip())
    assert (url.scheme, url.netloc, url.path) == ("https", "pomoc.example.pl", "/managers")
    query = dict(part.split("=", 1) for part in url.query.split("&"))
    assert query["days"] == "30"
    # Signed with the key the server uses (the same var/ folder): valid for 14 days from now.
    expires = int(query["exp"])
    links = services.ctx.agent_links
    now = datetime.now(UTC)
    assert links.managers_valid(expires=expires, signature=query["sig"], now=now)
    assert abs(expires - (now + timedelta(days=14)).timestamp()) < 60
    refused = CliRunner().invoke(app, ["managers", "link", "--days", "14", "-c", str(path)])
    assert refused.exit_code == 2 and "7 or 30" in refused.output
