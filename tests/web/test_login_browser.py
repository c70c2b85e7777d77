"""Login links and the embeddable badge in Debian chromium: single use, expiry, replay, login
CSRF from another site, nothing in the history, and the "!" in the platform's own page, live."""

import sqlite3
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from tests.conftest import make_config
from tests.helpers import agent_reply, auth
from tests.platform.receiver import free_port
from tests.platform.support import link_for
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS, run

pytestmark = pytest.mark.browser
PLATFORM_PORT = free_port()
# The shop platform's page: same site as Pomoc (both 127.0.0.1), another origin.
PLATFORM_ORIGIN = f"http://127.0.0.1:{PLATFORM_PORT}"


class Page:
    """A one-page site on loopback (the platform's panel, or an attacker's page)."""

    def __init__(self, html: str, *, host: str = "127.0.0.1", port: int | None = None) -> None:
        body = html.encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("content-type", "text/html; charset=utf-8")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port or free_port()), Handler)
        self.url = f"http://{host}:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def config(database_url, tmp_path):
    return make_config(
        database_url,
        tmp_path,
        panel={"platform_origins": [PLATFORM_ORIGIN]},
        server={"trusted_hosts": ["panel", "pomoc"]},
    )


def session_cookie(context) -> list:
    return [c for c in context.cookies() if c["name"] == "pomoc_session"]


def history_urls(profile) -> list[str]:
    with sqlite3.connect(profile / "Default" / "History") as history:
        return [row[0] for row in history.execute("SELECT url FROM urls")]


def persistent(playwright, profile):
    return playwright.chromium.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )


def test_a_link_posted_by_the_platforms_page_leaves_no_trace_in_history(
    live_server, services, shop_token, tmp_path
):
    from playwright.sync_api import sync_playwright

    link = link_for(services, shop_token)
    platform = Page(
        f"""<form id="f" method="post" action="{live_server.url}/panel/login/link">
        <input type="hidden" name="link" value="{link}"></form>
        <script>document.getElementById("f").submit();</script>""",
        port=PLATFORM_PORT,
    )
    profile = tmp_path / "profile"
    try:
        with sync_playwright() as playwright:
            context = persistent(playwright, profile)
            page = context.new_page()
            page.goto(platform.url)
            page.wait_for_url(f"{live_server.url}/panel")
            expect(page.locator(".shop-name")).to_have_text("Sklep Ani")
            context.close()  # writes the profile's history database
    finally:
        platform.close()
    urls = history_urls(profile)
    assert f"{live_server.url}/panel" in urls
    assert not any(link.split("=")[1] in url for url in urls), urls


def test_a_login_link_leaves_no_history_entry_and_its_record_is_dead(
    live_server, services, shop_token, tmp_path
):
    from playwright.sync_api import sync_playwright

    link = link_for(services, shop_token)
    profile = tmp_path / "profile"
    with sync_playwright() as playwright:
        context = persistent(playwright, profile)
        page = context.new_page()
        page.goto(f"{live_server.url}/panel/login#{link}")
        page.wait_for_url(f"{live_server.url}/panel")
        assert page.evaluate("history.length") == 2  # the start page and the inbox: no login
        page.go_back()
        assert page.url == "about:blank"
        context.close()
        # The browser's own history database did note the opened URL; it is used up.
        (recorded,) = [url for url in history_urls(profile) if "#" in url]
        other = persistent(playwright, tmp_path / "other")
        replay = other.new_page()
        replay.goto(recorded)
        expect(replay.locator("#login-error")).to_contain_text("nieprawidłowy lub wygasł")
        assert session_cookie(other) == []
        other.close()


def test_a_used_or_expired_link_opens_nothing(browser, live_server, services, shop_token, clock):
    link = link_for(services, shop_token)
    first = browser.new_context()
    page = first.new_page()
    page.goto(f"{live_server.url}/panel/login#{link}")
    page.wait_for_url(f"{live_server.url}/panel")
    first.close()

    for fragment in (link, "expired"):
        if fragment == "expired":
            fragment = link_for(services, shop_token)
            clock.advance(seconds=61)
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"{live_server.url}/panel/login#{fragment}")
        expect(page.locator("#login-error")).to_contain_text("nieprawidłowy lub wygasł")
        assert page.url == f"{live_server.url}/panel/login"  # the link left the address bar
        assert session_cookie(context) == []
        context.close()


def test_another_site_cannot_log_the_browser_in(browser, live_server, services, shop_token):
    link = link_for(services, shop_token)
    target = live_server.url
    evil = Page(
        f"""<form id="f" method="post" action="{target}/panel/login">
        <input name="token" value="{shop_token}"></form>
        <script>
          fetch("{target}/panel/login/link", {{method: "POST", credentials: "include",
            headers: {{"Content-Type": "text/plain"}}, body: JSON.stringify({{link: "{link}"}})}})
            .finally(() => document.getElementById("f").submit());
        </script>""",
        host="localhost",  # another site than 127.0.0.1
    )
    try:
        context = browser.new_context()
        page = context.new_page()
        with page.expect_response(f"{target}/panel/login") as posted:
            page.goto(evil.url)
        assert posted.value.status == 403
        assert session_cookie(context) == []
        context.close()
        # The link was not used up by the refused attempts: the owner's own click still works.
        owner = browser.new_context()
        mine = owner.new_page()
        mine.goto(f"{target}/panel/login#{link}")
        mine.wait_for_url(f"{target}/panel")
        owner.close()
    finally:
        evil.close()


def test_the_badge_in_the_platforms_page_follows_replies_live(
    browser, live_server, services, shop_token
):
    ticket = run_create(live_server, shop_token)
    platform = Page(
        f"""<header>Panel sklepu · POMOC <b id="mine" hidden>!</b></header>
        <iframe id="badge" src="{live_server.url}/panel/badge" width="120" height="40"></iframe>
        <script>
          window.addEventListener("message", (event) => {{
            if (event.origin === "{live_server.url}" && event.data.type === "pomoc.unread")
              document.getElementById("mine").hidden = !event.data.unread;
          }});
        </script>""",
        port=PLATFORM_PORT,
    )
    try:
        context = browser.new_context()
        context.set_default_timeout(5000)
        page = context.new_page()
        page.goto(f"{live_server.url}/panel/login#{link_for(services, shop_token)}")
        page.wait_for_url(f"{live_server.url}/panel")
        page.goto(platform.url)
        frame = page.frame_locator("#badge")
        expect(frame.locator("#badge")).to_be_hidden()
        expect(page.locator("#mine")).to_be_hidden()
        run(agent_reply(services, ticket, "Dzień dobry, już sprawdzamy"))
        expect(frame.locator("#badge")).to_be_visible()
        expect(page.locator("#mine")).to_be_visible()  # told by postMessage, for its own top bar
        context.close()
    finally:
        platform.close()


def run_create(live_server, token) -> int:
    import httpx

    response = httpx.post(
        f"{live_server.url}/api/v1/tickets",
        headers=auth(token),
        json={"title": "Zmiana szablonu", "body": "Jak zmienić szablon?"},
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]
