"""Live updates at scale: the API's latency beside 500 open streams vs none, and reply latency."""

# Live updates at scale, against a real `pomoc run` on SQLite or PostgreSQL:
#
# .venv/bin/python -m benchmarks.live_updates --database sqlite --shops 100 --streams 500
#
# In one run: the panel API's latency (GET /api/v1/tickets, bearer tokens of random shops) with no
# stream open, the same load beside 500 open inbox streams across 100 shops (one browser session
# per shop, each with its inbox and its ticket's conversation open in several tabs), the server's
# CPU while those streams sit idle, and how long an agent's reply (a signed Slack event to
# /slack/events, as Slack sends it) takes to reach every open stream of its shop. The load comes
# from a process of its own, so reading 500 streams cannot slow the measuring client.
#
# Targets (issue 18): p95 beside the streams under 2x the baseline; a reply in an open inbox < 1 s.

import argparse
import asyncio
import contextlib
import statistics
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import httpx

from benchmarks._common import (
    DEFAULT_PG,
    cpu_seconds,
    latency_ms,
    postgres_database,
    rss_mb,
    say,
)
from benchmarks.panel_load import SlackInBackground, drive_in_process
from pomoc.cli import create_shop
from storage import repositories as repo
from storage.db import Database
from storage.migrate import upgrade
from tests.helpers import auth
from tests.security.server import pomoc_process
from tests.slack.conftest import ANNA, SECRET, reply_event, send_event
from tests.web.conftest import web_login

CHANNEL = "CSUPPORT"


class Stream:
    """One open event stream and the moments its `data:` events arrived."""

    def __init__(self, client: httpx.AsyncClient, path: str) -> None:
        self.client, self.path = client, path
        self.arrivals: list[float] = []
        self.opened = asyncio.Event()
        self.status = 0

    async def read(self) -> None:
        async with self.client.stream("GET", self.path) as response:
            self.status = response.status_code
            async for line in response.aiter_lines():
                if line.startswith("data: "):
                    self.arrivals.append(time.perf_counter())
                    self.opened.set()
        self.opened.set()

    async def next_after(self, moment: float, timeout: float = 5.0) -> float:
        """Seconds from `moment` to the first event after it (inf if none came in time)."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            later = [t for t in self.arrivals if t > moment]
            if later:
                return later[0] - moment
            await asyncio.sleep(0.002)
        return float("inf")


def server_sections(slack_api: str) -> dict:
    return {
        "server": {"max_connections": 4000},
        "panel": {
            "max_new_tickets_per_hour": 1_000_000_000,
            "max_reads_per_minute": 1_000_000_000,
        },
        "slack": {"enabled": True, "api_base_url": slack_api, "interval": 0.0},
        "departments.other": {"platform": "slack", "channel": CHANNEL},
        # Always open and no deflection window: every ticket goes to its thread at once.
        "support_hours": {
            "working_days": [0, 1, 2, 3, 4, 5, 6],
            "opens": "00:00",
            "closes": "23:59",
            "holidays_country": "",
        },
        "triage": {"deflection_window_minutes": 0},
    }


@contextlib.contextmanager
def database(kind: str, folder: Path, pg_url: str) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'live.db'}"
    else:
        with postgres_database(pg_url) as url:
            yield url


def threads_of(url: str, tickets: list[int], timeout: float = 120) -> dict[int, str]:
    """Ticket id -> its Slack thread, once the outbox has delivered every root."""
    db = Database(url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            with db.transaction() as session:
                links = {t: repo.thread_for_ticket(session, t) for t in tickets}
            if all(links.values()):
                return {t: link.thread_id for t, link in links.items() if link}
            if time.monotonic() > deadline:
                raise RuntimeError("the outbox did not deliver every root in time")
            time.sleep(0.2)
    finally:
        db.dispose()


async def api_load(url: str, tokens: list[str], *, workers: int, duration: float) -> list[float]:
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(max_workers=1) as pool:
        job = ("list", [url], tokens, [], workers, duration)
        outcome = await loop.run_in_executor(pool, drive_in_process, job)
    errors = {k: v for k, v in outcome.statuses.items() if not str(k).startswith("2")}
    if errors:
        raise RuntimeError(f"API errors under load: {errors}")
    return outcome.latencies


async def open_streams(
    url: str, tokens: list[str], tickets: list[int], per_shop: int, stack: contextlib.AsyncExitStack
) -> dict[int, list[Stream]]:
    """`per_shop` streams for each shop from one browser session: its inbox, then its ticket.
    Shop after shop, as owners arrive, rather than 500 at the same instant."""
    by_shop: dict[int, list[Stream]] = {}
    readers: list[asyncio.Task[None]] = []
    stack.callback(lambda: [task.cancel() for task in readers])
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    for shop, (token, ticket) in enumerate(zip(tokens, tickets, strict=True)):
        client = httpx.AsyncClient(base_url=url, limits=limits, timeout=None)
        await stack.enter_async_context(client)
        await web_login(client, token)
        paths = ["/panel/events"] + [f"/panel/tickets/{ticket}/events"] * (per_shop - 1)
        by_shop[shop] = [Stream(client, path) for path in paths]
        readers += [asyncio.create_task(stream.read()) for stream in by_shop[shop]]
        for stream in by_shop[shop]:
            await asyncio.wait_for(stream.opened.wait(), 60)
            if stream.status != 200:
                raise RuntimeError(f"{stream.path}: {stream.status}")
    return by_shop


async def reply_latencies(
    url: str, by_shop: dict[int, list[Stream]], threads: list[str], *, replies: int
) -> tuple[list[float], list[float], list[float]]:
    """Per reply: seconds until Slack's request was answered, and until the first and the last
    of its shop's streams heard it. The first reply (bolt's auth.test, the agent's name) is not
    counted."""
    answered, first, last = [], [], []
    async with httpx.AsyncClient(base_url=url, timeout=30) as slack:
        for n in range(replies + 1):
            shop = (n * 7) % len(by_shop)
            event = reply_event(threads[shop], f"Odpowiedź {n}: już sprawdzamy.", channel=CHANNEL)
            sent = time.perf_counter()
            response = await send_event(slack, event, secret=SECRET)
            acked = time.perf_counter() - sent
            if response.status_code != 200:
                raise RuntimeError(f"/slack/events: {response.status_code} {response.text}")
            heard = [await s.next_after(sent) for s in by_shop[shop]]
            if n:
                answered.append(acked)
                first.append(min(heard))
                last.append(max(heard))
            await asyncio.sleep(0.1)
    return answered, first, last


def arrivals(by_shop: dict[int, list[Stream]]) -> int:
    return sum(len(stream.arrivals) for streams in by_shop.values() for stream in streams)


def idle_cpu(pid: int, seconds: float) -> float:
    before = cpu_seconds(pid)
    time.sleep(seconds)
    return (cpu_seconds(pid) - before) / seconds * 100


async def run(args: argparse.Namespace) -> list[str]:
    with (
        tempfile.TemporaryDirectory() as tmp,
        database(args.database, Path(tmp), args.pg_url) as url,
        SlackInBackground() as slack,
    ):
        upgrade(url)
        slack.fake.add_user(ANNA, "Anna z supportu")
        tokens = [create_shop(url, f"Sklep {n}") for n in range(args.shops)]
        env = {"POMOC_SLACK_BOT_TOKEN": "xoxb-live", "POMOC_SLACK_SIGNING_SECRET": SECRET}
        sections = server_sections(slack.fake.api_url)
        with pomoc_process(Path(tmp) / "server", url, env=env, **sections) as server:
            tickets = []
            async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
                for n, token in enumerate(tokens):
                    data = {"title": "Zmiana logo", "body": f"Jak zmienić logo sklepu {n}?"}
                    created = await http.post("/api/v1/tickets", headers=auth(token), data=data)
                    created.raise_for_status()
                    tickets.append(created.json()["id"])
            say(f"{args.shops} shops, a ticket each; waiting for their Slack threads")
            by_ticket = threads_of(url, tickets)
            threads = [by_ticket[t] for t in tickets]
            load = {"workers": args.concurrency, "duration": args.duration}
            await api_load(server.url, tokens, workers=args.concurrency, duration=1)  # warm up
            say(f"baseline: API load for {args.duration:.0f} s, no stream open")
            cpu = cpu_seconds(server.pid)
            alone = await api_load(server.url, tokens, **load)
            alone_cpu = (cpu_seconds(server.pid) - cpu) / args.duration * 100
            rss_alone = rss_mb(server.pid)
            async with contextlib.AsyncExitStack() as stack:
                say(f"opening {args.streams} streams across {args.shops} shops")
                per_shop = args.streams // args.shops
                by_shop = await open_streams(server.url, tokens, tickets, per_shop, stack)
                rss_streams = rss_mb(server.pid)
                quiet = await asyncio.to_thread(idle_cpu, server.pid, 3.0)
                say(f"beside the streams: API load for {args.duration:.0f} s")
                cpu, renders = cpu_seconds(server.pid), arrivals(by_shop)
                beside = await api_load(server.url, tokens, **load)
                beside_cpu = (cpu_seconds(server.pid) - cpu) / args.duration * 100
                renders = arrivals(by_shop) - renders
                say(f"{args.replies} agent replies through /slack/events")
                answered, first, last = await reply_latencies(
                    server.url, by_shop, threads, replies=args.replies
                )
    p95_alone = statistics.quantiles(alone, n=20)[-1]
    p95_beside = statistics.quantiles(beside, n=20)[-1]
    ratio = p95_beside / p95_alone
    streams = per_shop * args.shops
    rate_alone, rate_beside = len(alone) / args.duration, len(beside) / args.duration
    return [
        f"database {args.database}, {args.shops} shops, {streams} streams, "
        f"API load at concurrency {args.concurrency} for {args.duration:.0f} s per phase",
        f"API without streams   {latency_ms(alone)}  {rate_alone:7.1f} req/s"
        f"  server CPU {alone_cpu:3.0f}%  RSS {rss_alone:.0f} MB",
        f"API beside {streams} streams {latency_ms(beside)}  {rate_beside:7.1f} req/s"
        f"  server CPU {beside_cpu:3.0f}%  RSS {rss_streams:.0f} MB",
        f"server CPU with {streams} idle streams open: {quiet:.1f}%; "
        f"stream updates sent during the API load (reads change nothing): {renders}",
        f"p95 ratio beside/without: {ratio:.2f}x  (target < 2x: {'PASS' if ratio < 2 else 'FAIL'})",
        f"reply -> Slack's request answered  {latency_ms(answered)}"
        f"  max {max(answered) * 1000:.0f} ms",
        f"reply -> first stream of its shop  {latency_ms(first)}  max {max(first) * 1000:.0f} ms",
        f"reply -> every stream of its shop  {latency_ms(last)}  max {max(last) * 1000:.0f} ms"
        f"  (target < 1 s: {'PASS' if max(last) < 1 else 'FAIL'})",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--database", choices=("sqlite", "pg"), default="sqlite")
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument("--shops", type=int, default=100)
    parser.add_argument("--streams", type=int, default=500)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per load phase")
    parser.add_argument("--concurrency", type=int, default=8, help="API requests in flight")
    parser.add_argument("--replies", type=int, default=30)
    args = parser.parse_args()
    print("\n".join(asyncio.run(run(args))))


if __name__ == "__main__":
    main()
