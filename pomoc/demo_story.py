"""`pomoc demo --scripted`: a short story played end to end, each step observed for real."""

# The shop side goes through the real HTTP panel API and the inbox's live stream, the agent side
# through a real Matrix client; the clock travels so that a Saturday can happen on a Wednesday.

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import httpx

from bot.clock import TravellingClock
from pomoc.agent import MatrixAgent

WARSAW = ZoneInfo("Europe/Warsaw")
POLISH_HOLIDAYS = holidays.country_holidays("PL")


@dataclass
class Stage:
    panel_url: str
    shop_token: str
    agent: MatrixAgent
    oncall: str
    clock: TravellingClock


class StepFailed(Exception):
    """What the story expected did not happen."""


def next_weekday(weekday: int, hour: int, *, after: date | None = None, days: int = 7) -> datetime:
    """That weekday (Monday = 0) at `hour`, Warsaw time, `days` or more after `after` (today),
    skipping Polish public holidays.

    The story only moves forward in time, so nothing the outbox scheduled is left in the future.
    """
    day = (after or date.today()) + timedelta(days=days)
    while day.weekday() != weekday or day in POLISH_HOLIDAYS:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, tzinfo=WARSAW)


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise StepFailed(message)


async def _open(http: httpx.AsyncClient, title: str, body: str) -> dict[str, Any]:
    response = await http.post("/api/v1/tickets", data={"title": title, "body": body})
    expect(response.status_code == 201, f"ticket not created: {response.text}")
    ticket: dict[str, Any] = response.json()
    return ticket


async def deflected_question(stage: Stage, http: httpx.AsyncClient) -> str:
    stage.clock.travel_to(next_weekday(2, 10))
    ticket = await _open(
        http,
        "Konfiguracja Przelewy24",
        "gdzie wpisac klucz crc? klienci dostaja blad Incorrect CRC value",
    )
    expect(ticket["status"] == "suggested", f"expected suggestions, got {ticket['status']}")
    offered = [s["title"] for m in ticket["messages"] for s in m["suggestions"]]
    expect(any("CRC" in title for title in offered), f"no CRC article among {offered}")
    answer = await http.post(f"/api/v1/tickets/{ticket['id']}/feedback", json={"helped": True})
    expect(answer.json().get("status") == "resolved", f"not resolved: {answer.text}")
    return f"suggested {offered[0]!r}; owner clicked 'Pomogło'; resolved without an agent"


async def saturday_outage(stage: Stage, http: httpx.AsyncClient) -> str:
    stage.clock.travel_to(next_weekday(5, 11, after=stage.clock.now().date(), days=1))
    ticket = await _open(
        http,
        "Koszyk nie dziala",
        "Klienci nie moga zlozyc zamowienia, po kliknieciu Zamawiam jest blad 500",
    )
    expect(ticket["priority"] == "critical", f"not critical: {ticket['priority']}")
    expect(ticket["status"] == "open", f"not escalated: {ticket['status']}")
    root = await stage.agent.wait_for(
        lambda m: m.thread_root is None and "Koszyk nie dziala" in m.body
    )
    expect(stage.oncall in root.body, f"on-call {stage.oncall} not paged in {root.body!r}")
    return f"critical on a Saturday, thread opened at once, {stage.oncall} paged"


async def answered_live(stage: Stage, http: httpx.AsyncClient) -> str:
    stage.clock.travel_to(next_weekday(2, 11, after=stage.clock.now().date()))
    ticket = await _open(http, "Zmiana stopki", "Jak zmienic tekst w stopce sklepu?")
    if ticket["status"] == "suggested":
        await http.post(f"/api/v1/tickets/{ticket['id']}/feedback", json={"helped": False})
    root = await stage.agent.wait_for(lambda m: m.thread_root is None and "Zmiana stopki" in m.body)
    answer = "Dzień dobry! Stopkę zmienisz w Wygląd > Szablon > Stopka."
    async with httpx.AsyncClient(base_url=stage.panel_url, timeout=30) as browser:
        # The inbox's login form with the shop's key, posted as from Pomoc's own page.
        form = {"token": stage.shop_token}
        login = await browser.post("/panel/login", data=form, headers={"Origin": stage.panel_url})
        expect(login.status_code == 303, f"inbox login failed: {login.status_code}")
        async with (
            browser.stream("GET", f"/panel/tickets/{ticket['id']}/events") as stream,
            asyncio.timeout(30),  # keep-alives keep the stream busy: bound the wait itself
        ):
            sent = time.monotonic()
            await stage.agent.reply(root.room_id, root.event_id, answer)
            async for chunk in stream.aiter_text():
                if "Stopkę zmienisz" in chunk:
                    break
    latency = (time.monotonic() - sent) * 1000
    return f"agent answered in the Matrix thread; the inbox showed it live after {latency:.0f} ms"


async def resolved_from_chat(stage: Stage, http: httpx.AsyncClient) -> str:
    root = await stage.agent.wait_for(lambda m: m.thread_root is None and "Zmiana stopki" in m.body)
    await stage.agent.reply(root.room_id, root.event_id, "!resolve")
    listed = (await http.get("/api/v1/tickets")).json()["tickets"]
    ticket_id = next(t["id"] for t in listed if t["title"] == "Zmiana stopki")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        ticket = (await http.get(f"/api/v1/tickets/{ticket_id}")).json()
        if ticket["status"] == "resolved":
            return "agent typed !resolve in the thread; the inbox shows the ticket resolved"
        await asyncio.sleep(0.2)
    raise StepFailed("the ticket did not become resolved")


STEPS: list[tuple[str, Callable[[Stage, httpx.AsyncClient], Awaitable[str]]]] = [
    ("A Przelewy24 question is answered by the help center", deflected_question),
    ("A checkout outage on Saturday is critical and pages on-call", saturday_outage),
    ("An agent answers in the thread and the inbox shows it live", answered_live),
    ("The agent resolves the ticket from chat", resolved_from_chat),
]


async def play(stage: Stage, say: Callable[[str], None] = print) -> bool:
    """Play every step; True only if each was observed."""
    headers = {"Authorization": f"Bearer {stage.shop_token}"}
    ok = True
    async with httpx.AsyncClient(base_url=stage.panel_url, headers=headers, timeout=30) as http:
        for number, (title, step) in enumerate(STEPS, start=1):
            say(f"[{number}/{len(STEPS)}] {title} ...")
            started = time.monotonic()
            try:
                detail = await step(stage, http)
            except (StepFailed, TimeoutError) as error:
                say(f"      FAILED: {error or 'timed out'}")
                ok = False
                continue
            say(f"      ok ({time.monotonic() - started:.1f} s): {detail}")
    return ok
