"""The owner rates a resolved ticket in Debian chromium, on a phone; the agents' thread hears it."""

import httpx
import pytest
from playwright.sync_api import expect

from tests.helpers import agent_reply, auth
from tests.web.conftest import PHONE, run, screenshot
from tests.web.test_browser import api_ticket, no_horizontal_scroll

pytestmark = pytest.mark.browser
MARKUP = '<img src=x onerror="alert(1)"> <!channel> @room'


async def deliver(runtime, clock, rounds: int = 12) -> None:
    for _ in range(rounds):
        clock.advance(seconds=700)
        await runtime.dispatcher.deliver_once()


def test_the_owner_rates_a_resolved_ticket_sees_it_and_may_change_it(
    open_inbox, live_server, services, runtime, chat, clock, shop_token
):
    ticket_id = api_ticket(live_server, shop_token, "Zmiana stopki", "Jak zmienić stopkę?")
    run(agent_reply(services, ticket_id, "Wygląd › Stopka."))
    run(agent_reply(services, ticket_id, "!resolve"))
    page = open_inbox(viewport=PHONE)
    page.goto(f"{live_server.url}/panel/tickets/{ticket_id}")

    rating = page.locator("#rating")
    expect(rating.get_by_role("heading")).to_have_text("Jak oceniasz pomoc w tym zgłoszeniu?")
    send = rating.get_by_role("button", name="Wyślij ocenę")
    expect(send).to_be_disabled()  # no score chosen yet
    expect(rating.get_by_role("radio")).to_have_count(5)
    rating.locator("label[for='score-4']").click()  # the label is the button a finger taps
    expect(rating.get_by_label("4 dobrze")).to_be_checked()
    expect(send).to_be_enabled()
    rating.get_by_label("Komentarz (nieobowiązkowy)").fill(MARKUP)
    assert no_horizontal_scroll(page)
    screenshot(page, "rating-phone")
    send.click()

    # The live stream replaces the form with the rating given; the comment stays text.
    expect(rating.get_by_role("heading")).to_have_text("Twoja ocena")
    expect(rating.locator(".rating-given")).to_have_text("★★★★☆ 4/5 — dobrze")
    expect(rating.locator(".rating-comment")).to_have_text(MARKUP)
    expect(rating.locator("img")).to_have_count(0)
    assert page.dialogs == []
    assert no_horizontal_scroll(page)

    rating.get_by_text("Zmień ocenę").click()
    expect(rating.get_by_label("4 dobrze")).to_be_checked()
    # The keyboard moves along the scale, as in any radio group.
    rating.get_by_label("4 dobrze").focus()
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    expect(rating.get_by_label("2 źle")).to_be_checked()
    rating.get_by_role("button", name="Zapisz nową ocenę").click()
    expect(rating.locator(".rating-given")).to_have_text("★★☆☆☆ 2/5 — źle")

    run(deliver(runtime, clock))
    lines = [(view.kind, view.body) for _, view, _ in chat.posts if view.ticket_id == ticket_id]
    assert lines[-2:] == [
        ("rated", f"★★★★☆ 4/5\nKomentarz: {MARKUP}"),
        ("rating_changed", f"★★☆☆☆ 2/5 (wcześniej 4/5)\nKomentarz: {MARKUP}"),
    ]


def test_an_open_ticket_has_no_rating_form(open_inbox, live_server, shop_token):
    ticket_id = api_ticket(live_server, shop_token, "Zmiana logo", "Jak zmienić logo?")
    page = open_inbox()
    page.goto(f"{live_server.url}/panel/tickets/{ticket_id}")
    expect(page.locator(".message.from-shop")).to_be_visible()
    expect(page.locator("#rating")).to_have_count(0)


def test_without_the_live_stream_the_owner_still_hears_the_rating_was_saved(
    open_inbox, live_server, services, shop_token
):
    ticket_id = api_ticket(live_server, shop_token, "Zmiana logo", "Jak zmienić logo?")
    run(agent_reply(services, ticket_id, "Ustawienia › Logo."))
    run(agent_reply(services, ticket_id, "!resolve"))
    page = open_inbox()
    page.context.route("**/events", lambda route: route.abort())  # the stream is down
    page.goto(f"{live_server.url}/panel/tickets/{ticket_id}")

    rating = page.locator("#rating")
    rating.locator("label[for='score-5']").click()
    send = rating.get_by_role("button", name="Wyślij ocenę")
    send.click()
    expect(rating.get_by_role("status")).to_have_text(
        "Dziękujemy! Zapisaliśmy Twoją ocenę: 5 — bardzo dobrze."
    )
    expect(send).to_be_enabled()
    # A change is sent from the same form, and its answer replaces the first one's.
    rating.locator("label[for='score-3']").click()
    send.click()
    expect(rating.get_by_role("status")).to_have_text(
        "Dziękujemy! Zapisaliśmy Twoją ocenę: 3 — średnio."
    )
    detail = httpx.get(f"{live_server.url}/api/v1/tickets/{ticket_id}", headers=auth(shop_token))
    assert detail.json()["rating"]["score"] == 3
