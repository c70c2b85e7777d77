"""The managers' page in Debian chromium: laid out on a desktop and a phone, periods and CSV."""

from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from adapters.panel.web.managers_page import report_source
from bot.report_data import AgentFigures, DayCounts, KnowledgeGap, Report
from tests.web.conftest import DESKTOP, PHONE, screenshot
from tests.web.test_managers_page import Source, parsed, sample

pytestmark = pytest.mark.browser


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def week(start: datetime, end: datetime) -> Report:
    """The sample's figures with names and comments as a real week brings them."""
    figures = sample(start, end)
    opened = (3, 2, 1, 0, 3, 2, 1)  # from Thursday 19 November: a weekend in the middle
    days = tuple(
        DayCounts(
            date(2026, 11, 19 + n),
            opened=o,
            deflected=o // 3,
            resolved=o // 2,
            working_day=n not in (2, 3),
        )
        for n, o in enumerate(opened)
    )
    return replace(
        figures,
        days=days,
        satisfaction=replace(
            figures.satisfaction,
            comments=("Szybko i konkretnie, dziękuję!", "Pomogło dopiero za drugim razem."),
        ),
        agents=(
            figures.agents[0],
            AgentFigures("Tomek Nowak", replies=6, resolved=2, median_first_response=41.0),
        ),
        gaps=(
            KnowledgeGap("przelewy24 zwrot", "payments", tickets=3, examples=(41, 37, 29)),
            KnowledgeGap("faktura korekta", "other", tickets=2, examples=(33, 18)),
        ),
    )


@pytest.fixture
def source(runtime):
    made = Source(week)
    runtime.app.dependency_overrides[report_source] = lambda: made
    yield made
    runtime.app.dependency_overrides.clear()


def test_managers_read_the_report_switch_periods_and_download_csv(
    browser, live_server, services, source
):
    url = services.ctx.agent_links.managers_url(services.ctx.clock.now())
    parts = urlsplit(url)
    context = browser.new_context(viewport=DESKTOP, locale="pl-PL", accept_downloads=True)
    context.set_default_timeout(5000)
    page = context.new_page()
    problems = []  # CSP refusals, failed loads (the browser's own favicon guess aside)
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("response", lambda r: r.status >= 400 and problems.append(r.url))
    page.goto(f"{live_server.url}{parts.path}?{parts.query}")
    expect(page.locator("h1")).to_have_text("Pomoc: raport dla kierowników")
    expect(page.locator("#summary dd").first).to_have_text("12")
    expect(page.locator("#days meter")).to_have_count(7)
    # The busiest day fills its bar: the meters are drawn, not left at zero width.
    widths = page.locator("#days meter").evaluate_all("ms => ms.map(m => m.clientWidth)")
    assert min(widths) > 100
    assert page.locator("#agents tbody tr").count() == 2
    expect(page.locator("#satisfaction .comments li").last).to_have_text(
        "Pomogło dopiero za drugim razem."
    )
    # The stylesheet applied (same origin, allowed by the CSP): figures align right.
    replies = page.locator("#agents th.num").first
    assert replies.evaluate("th => getComputedStyle(th).textAlign") == "right"
    assert no_horizontal_scroll(page)
    screenshot(page, "managers-page")

    page.get_by_role("link", name="30 dni").click()
    expect(page.locator("#period")).to_contain_text("Ostatnie 30 dni")
    expect(page.locator("[aria-current=page]")).to_have_text("30 dni")
    with page.expect_download() as download:
        page.locator("#csv").click()
    saved = download.value
    assert saved.suggested_filename == "pomoc-30-2026-11-25.csv"
    rows = parsed(Path(saved.path()).read_bytes())
    assert rows[1] == ["Podsumowanie", "", rows[1][2], "12"]
    assert [period[1] - period[0] for period in source.periods][-1].days == 29
    assert [p for p in problems if "favicon" not in p and "404 (Not Found)" not in p] == []

    phone = context.new_page()
    phone.set_viewport_size(PHONE)
    phone.goto(f"{live_server.url}{parts.path}?{parts.query}")
    expect(phone.locator("h1")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    context.close()
