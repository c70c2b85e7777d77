"""The web inbox in Debian chromium against a real uvicorn: forms, hints, live replies, phones."""

import re
import time

import httpx
import pytest
from playwright.sync_api import expect

from storage import repositories as repo
from storage.models import Ticket
from tests.helpers import PNG_1X1, agent_reply, auth
from tests.web.conftest import PHONE, run, screenshot

pytestmark = pytest.mark.browser
ORANGE = "rgb(232, 89, 12)"


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def api_ticket(server, token, title, body):
    response = httpx.post(
        f"{server.url}/api/v1/tickets", headers=auth(token), data={"title": title, "body": body}
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_new_ticket_with_screenshot_hints_feedback_and_a_live_reply(
    open_inbox, live_server, services
):
    page = open_inbox()
    expect(page).to_have_url(f"{live_server.url}/panel")  # the token left the address bar
    shot = page.screenshot(clip={"x": 0, "y": 0, "width": 640, "height": 360})
    page.get_by_role("link", name="+ Nowe zgłoszenie").click()

    page.fill("#title", "Błąd płatności p24")
    expect(page.locator("#hints a")).to_have_text("Przelewy24: klucz CRC")
    page.fill("#body", "Klienci nie mogą zapłacić przez Przelewy24.\nKomunikat: błędny podpis.")
    page.fill("#order_url", "https://sklep-ani.pl/admin/orders/15")
    page.set_input_files(
        "#files", files=[{"name": "zrzut-ekranu.png", "mimeType": "image/png", "buffer": shot}]
    )
    preview = page.locator(".preview img")
    expect(preview).to_be_visible()
    expect(page.locator(".preview-name")).to_contain_text("zrzut-ekranu.png")
    screenshot(page, "new-ticket-desktop")
    page.get_by_role("button", name="Wyślij zgłoszenie").click()

    expect(page).to_have_url(re.compile(r"/panel/tickets/\d+$"))
    ticket_id = int(page.url.rsplit("/", 1)[1])
    image = page.locator(".message.from-shop .attachments img")
    expect(image).to_be_visible()
    # Visible is not loaded: decode() waits for the bytes (a loaded machine serves them late).
    assert image.evaluate("img => img.decode().then(() => img.naturalWidth)") == 640
    expect(page.locator(".message.from-bot .articles a")).to_have_text("Przelewy24: klucz CRC")

    page.get_by_role("button", name="Nie pomogło — przekaż do konsultanta").click()
    # Passed to support; no agent's thread yet (this server delivers nothing to a chat).
    expect(page.locator("#ticket-status")).to_have_text("Czeka na konsultanta")
    expect(page.locator("[data-feedback]")).to_have_count(0)

    started = time.monotonic()
    run(agent_reply(services, ticket_id, "Dzień dobry!\nProszę sprawdzić klucz CRC."))
    reply = page.locator(".message.from-agent")
    expect(reply.locator(".text")).to_have_text(
        "Dzień dobry!\nProszę sprawdzić klucz CRC.", timeout=1000
    )
    assert time.monotonic() - started < 1.0
    expect(reply.locator(".who")).to_contain_text("Anna z supportu")
    # Seen while open: marked read at once, so the badge stays off.
    expect(page.locator("#badge")).to_be_hidden()
    expect(page.locator("#ticket-status")).to_have_text("Czeka na Twoją odpowiedź")

    page.fill("#reply-body", "Dziękuję, klucz był zły — już działa.")
    page.get_by_role("button", name="Wyślij odpowiedź").click()
    expect(page.locator(".message.from-shop").last).to_contain_text("już działa")
    expect(page.locator("#reply-body")).to_have_value("")
    screenshot(page, "conversation-desktop")
    with services.db.transaction() as session:
        assert session.get(Ticket, ticket_id).unread is False


def test_unread_reply_turns_the_row_orange_live_and_opening_clears_the_badge(
    open_inbox, live_server, second_instance, shop_token
):
    ticket_id = api_ticket(live_server, shop_token, "Zmiana szablonu", "Jak zmienić stopkę?")
    page = open_inbox()
    row = page.locator(".ticket").first
    expect(row).not_to_have_class(re.compile("unread"))
    expect(page.locator("#badge")).to_be_hidden()

    # Written by another Pomoc process sharing the database: the page learns of it by polling.
    run(agent_reply(second_instance, ticket_id, "Stopkę zmienisz w Wygląd › Stopka."))
    expect(row).to_have_class(re.compile("unread"), timeout=1500)
    expect(page.locator("#badge")).to_be_visible()
    assert row.locator("a").evaluate("a => getComputedStyle(a).borderLeftColor") == ORANGE
    expect(row.locator(".pill.status")).to_have_text("Czeka na Twoją odpowiedź")

    row.locator("a").click()
    expect(page.locator(".message.from-agent")).to_be_visible()
    expect(page.locator("#badge")).to_be_hidden()
    page.get_by_role("link", name="← Wszystkie zgłoszenia").click()
    expect(page.locator(".ticket").first).not_to_have_class(re.compile("unread"))


def test_required_fields_and_limits_client_side_then_server_errors_by_the_field(open_inbox):
    page = open_inbox()
    page.goto(page.url + "/new")
    submit = page.get_by_role("button", name="Wyślij zgłoszenie")
    expect(submit).to_be_disabled()
    page.fill("#title", "Logo")
    page.fill("#title", "")
    expect(submit).to_be_disabled()
    expect(page.locator('[data-error-for="title"]')).to_have_text("Pole „Tytuł” jest wymagane.")

    page.set_input_files(
        "#files", files=[{"name": "notatki.txt", "mimeType": "text/plain", "buffer": b"notatki"}]
    )
    files_error = page.locator('[data-error-for="files"]')
    expect(files_error).to_contain_text("niedozwolony typ")
    big = PNG_1X1 + b"\0" * (1024 * 1024)
    page.set_input_files(
        "#files", files=[{"name": "duzy.png", "mimeType": "image/png", "buffer": big}]
    )
    expect(files_error).to_contain_text("jest za duży (limit 1 MB)")
    expect(page.locator(".preview")).to_have_count(0)
    dropped = page.evaluate_handle(
        """bytes => {
            const data = new DataTransfer();
            data.items.add(new File([new Uint8Array(bytes)], "szkic.png", {type: "image/png"}));
            return data;
        }""",
        list(PNG_1X1),
    )
    page.dispatch_event(".dropzone", "drop", {"dataTransfer": dropped})
    expect(page.locator(".preview-name")).to_have_text("szkic.png (1 KB)")
    expect(files_error).to_be_hidden()
    page.get_by_role("button", name="Usuń plik szkic.png").click()
    expect(page.locator(".preview")).to_have_count(0)

    page.fill("#title", "Mam problem z płatnościami w moim sklepie od wczoraj")
    expect(page.locator('[data-error-for="title"]')).to_be_hidden()
    page.fill("#body", "Klienci nie mogą zapłacić.")
    page.fill("#order_url", "sklep-ani.pl/zamowienie/1")
    expect(submit).to_be_enabled()
    submit.click()
    expect(page.locator('[data-error-for="title"]')).to_contain_text("2–3 słowa")
    expect(page.locator("#title")).to_have_attribute("aria-invalid", "true")
    expect(page).to_have_url(re.compile(r"/panel/new$"))

    page.fill("#title", "Płatności nie działają")
    submit.click()
    expect(page.locator('[data-error-for="order_url"]')).to_contain_text("https://")
    page.fill("#order_url", "https://sklep-ani.pl/admin/orders/1")
    submit.click()
    expect(page).to_have_url(re.compile(r"/panel/tickets/\d+$"))


def test_markup_from_anyone_is_shown_as_text(open_inbox, services):
    page = open_inbox()
    page.goto(page.url + "/new")
    page.fill("#title", "<img src=x onerror=alert(1)>")
    page.fill("#body", "<script>alert(2)</script>\n<b>pogrubione?</b>")
    page.get_by_role("button", name="Wyślij zgłoszenie").click()
    expect(page).to_have_url(re.compile(r"/panel/tickets/\d+$"))
    expect(page.locator("h1")).to_have_text("<img src=x onerror=alert(1)>")
    expect(page.locator(".message.from-shop .text")).to_have_text(
        "<script>alert(2)</script>\n<b>pogrubione?</b>"
    )
    ticket_id = int(page.url.rsplit("/", 1)[1])
    run(agent_reply(services, ticket_id, '<img src=x onerror="alert(3)"><script>alert(4)</script>'))
    expect(page.locator(".message.from-agent .text")).to_contain_text("onerror", timeout=1500)
    page.goto(page.url.rsplit("/panel", 1)[0] + "/panel")
    expect(page.locator(".ticket-title")).to_have_text("<img src=x onerror=alert(1)>")
    page.wait_for_timeout(200)
    assert page.dialogs == []
    assert page.locator("img[src='x'], .text script, .text b").count() == 0


def seed_inbox(server, services, clock, token) -> int:
    """A lived-in inbox: resolved, waiting (unread), open and suggested tickets."""
    resolved = api_ticket(server, token, "Import CSV", "Jak zaimportować produkty z pliku CSV?")
    run(agent_reply(services, resolved, "Instrukcja: Produkty › Import › CSV."))
    run(agent_reply(services, resolved, "!resolve"))
    with services.db.transaction() as session:
        shop = repo.shop_by_token(session, token)
    services.inbox.mark_read(shop.id, resolved)
    clock.advance(hours=3)
    api_ticket(server, token, "Zmiana szablonu", "Chcę zmienić kolor przycisków w koszyku.")
    clock.advance(minutes=40)
    blik = api_ticket(server, token, "Płatność BLIK", "Klienci zgłaszają błąd przy płatności BLIK.")
    clock.advance(minutes=12)
    run(agent_reply(services, blik, "Dzień dobry! Sprawdzamy to z operatorem płatności."))
    clock.advance(minutes=5)
    api_ticket(server, token, "Klucz CRC p24", "Gdzie znajdę klucz CRC do Przelewy24?")
    return blik


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_screens_fit_a_phone_and_a_desktop(
    open_inbox, live_server, services, clock, shop_token, size
):
    blik = seed_inbox(live_server, services, clock, shop_token)
    page = open_inbox(viewport=PHONE) if size == "phone" else open_inbox()
    expect(page.locator(".ticket")).to_have_count(4)
    expect(page.locator(".ticket.unread .ticket-title")).to_have_text(
        ["Klucz CRC p24", "Płatność BLIK"]
    )
    expect(page.locator(".ticket.status-resolved .retention")).to_contain_text("Widoczne")
    assert no_horizontal_scroll(page)
    screenshot(page, f"inbox-{size}")

    page.goto(f"{live_server.url}/panel/new")
    page.fill("#title", "Błąd płatności p24")
    page.fill("#body", "Po zmianie klucza API klienci widzą błąd podpisu.")
    expect(page.locator("#hints a")).to_be_visible()
    assert no_horizontal_scroll(page)
    if size == "phone":
        screenshot(page, "new-ticket-phone")

    page.goto(f"{live_server.url}/panel/tickets/{blik}")
    run(agent_reply(services, blik, "Operator potwierdził awarię po swojej stronie — już działa."))
    expect(page.locator(".message.from-agent")).to_have_count(2, timeout=1500)
    assert no_horizontal_scroll(page)
    if size == "phone":
        screenshot(page, "conversation-phone")


def test_logout_returns_to_the_login_page_and_the_inbox_stays_closed(open_inbox, live_server):
    page = open_inbox()
    expect(page.get_by_role("link", name="+ Nowe zgłoszenie")).to_be_visible()
    page.get_by_role("button", name="Wyloguj").click()
    expect(page.get_by_role("heading", name="Zaloguj się do POMOC")).to_be_visible()
    page.goto(f"{live_server.url}/panel/new")
    expect(page.get_by_role("heading", name="Zaloguj się do POMOC")).to_be_visible()
