"""What the shop sees of an agent's formatting in Chromium, and a reply withdrawn into a note."""

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from adapters.matrix import received
from bot.events import ThreadMessageEdited
from tests.helpers import ANNA, agent_reply
from tests.web.conftest import run
from tests.web.test_browser import api_ticket

pytestmark = pytest.mark.browser
PAYLOADS = Path(__file__).resolve().parents[1] / "data" / "payloads" / "matrix"


def element_rich_text():
    """Element's markdown message (the recorded fixture) as the Matrix adapter reads it."""
    content = json.loads((PAYLOADS / "rich_text_html.json").read_text())["content"]
    return received.rich_of(content)


def test_a_rich_reply_is_formatted_with_a_clickable_link_and_a_withdrawn_one_goes(
    open_inbox, live_server, services, shop_token
):
    ticket_id = api_ticket(live_server, shop_token, "Logowanie", "Nie mogę się zalogować.")
    page = open_inbox()
    page.context.route(
        "https://status.example.org/**",
        lambda route: route.fulfill(status=200, content_type="text/html", body="<p>status</p>"),
    )
    page.goto(f"{live_server.url}/panel/tickets/{ticket_id}")
    rich = element_rich_text()
    run(agent_reply(services, ticket_id, rich.plain, html=rich.html, message_id="$rich"))

    reply = page.locator(".message.from-agent .text.rich")
    expect(reply.locator("strong")).to_have_text("sprawdzam zgłoszenie", timeout=1500)
    expect(reply.locator("em")).to_have_text("proszę chwilę poczekać")
    expect(reply.locator("ol > li")).to_have_count(2)
    expect(reply.locator("ul > li").first).to_have_text("wylogować się z aplikacji,")
    expect(reply.locator("pre code")).to_contain_text("ECONNREFUSED")
    expect(reply).not_to_contain_text("**")
    link = reply.get_by_role("link", name="stronę statusu")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    with page.expect_popup() as popup:
        link.click()
    expect(popup.value).to_have_url(re.compile(r"^https://status\.example\.org/?$"))
    popup.value.close()

    run(
        services.desk.handle(
            ThreadMessageEdited(
                event_id="$withdraw",
                platform="matrix",
                message_id="$rich",
                agent=ANNA,
                text="!note jednak to nie do klienta",
            )
        )
    )
    expect(page.locator(".message.from-agent")).to_have_count(0, timeout=1500)
    page.reload()
    expect(page.locator(".message.from-agent")).to_have_count(0)
    expect(page.locator("body")).not_to_contain_text("nie do klienta")
