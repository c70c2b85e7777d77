"""Web inbox fixtures: a cookie session over httpx, a real uvicorn server, Debian chromium."""

import asyncio
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import uvicorn

from bot.config import Secrets
from bot.core import Core
from pomoc.runtime import Runtime, build_core
from tests.fakes.triage import KeywordTriager

CHROMIUM = os.environ.get("POMOC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}


async def web_login(client: httpx.AsyncClient, token: str) -> str:
    """Log in with the shop's key in the login form, as a browser on Pomoc's own page would;
    returns the page's CSRF token (the cookie stays in the client)."""
    origin = str(client.base_url).rstrip("/")
    response = await client.post("/panel/login", data={"token": token}, headers={"Origin": origin})
    assert response.status_code == 303, response.text
    page = await client.get("/panel")
    return csrf_of(page.text)


def csrf_of(html: str) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]*)"', html).group(1)


class LiveServer:
    """runtime.app under a real uvicorn on a free loopback port, in a background thread."""

    def __init__(self, runtime: Runtime) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            runtime.app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def live_server(runtime: Runtime) -> Iterator[LiveServer]:
    with LiveServer(runtime) as server:
        yield server


@pytest.fixture
def second_instance(config, clock) -> Iterator[Core]:
    """Another Pomoc process's services on the same database (an agent's reply may land there)."""
    services = build_core(
        config, Secrets.from_env({}), clock=clock, triager=KeywordTriager(), migrate=False
    )
    yield services
    services.db.dispose()


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Debian chromium not found at {CHROMIUM}: run `make chromium` first")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def open_inbox(browser, live_server: LiveServer, shop_token: str):
    """A logged-in page (desktop size unless told); dialogs are recorded, never accepted."""
    contexts = []

    def open_page(viewport: dict = DESKTOP, token: str = shop_token):
        context = browser.new_context(viewport=viewport, locale="pl-PL")
        context.set_default_timeout(5000)
        contexts.append(context)
        page = context.new_page()
        page.dialogs = []

        def record(dialog) -> None:
            page.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", record)
        page.goto(f"{live_server.url}/panel/login")
        page.fill("#token", token)
        page.click("form[action='/panel/login'] button[type=submit]")
        page.wait_for_url(f"{live_server.url}/panel")
        return page

    yield open_page
    for context in contexts:
        context.close()


def screenshot(page, name: str) -> None:
    """Saved for docs/screenshots when POMOC_SCREENSHOTS=1."""
    if os.environ.get("POMOC_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.evaluate("window.scrollTo(0, 0)")  # else the sticky top bar lands mid-page
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def run(coroutine: object) -> object:
    """Run a core coroutine (the desk) from a sync browser test, in a thread of its own: the
    sync Playwright API owns this thread's event loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result(timeout=10)
