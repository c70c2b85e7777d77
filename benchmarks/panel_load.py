"""Load on the real HTTP panel API: `pomoc run` processes, SQLite vs PostgreSQL, 1 or 2 of them."""

# Load on the real HTTP panel API: `pomoc run` processes on loopback, SQLite vs PostgreSQL, one vs
# two instances, with a bare GET /healthz as the HTTP floor.
#
# .venv/bin/python -m benchmarks.panel_load --duration 5 --concurrency 16 --clients 1
#
# Every department routes to a Slack channel of a fake Slack Web API (in this process), as in
# production: each escalated ticket writes its outbox rows and wakes the delivery worker in the same
# runs that are timed. `--chat none` routes nowhere, which is the cost of intake alone.
#
# Per scenario and phase it prints requests/s, latency p50/p95/p99, errors, the server processes'
# CPU use and resident memory, the client's CPU use, and how many Slack threads the workers
# delivered meanwhile (the fake paces nothing; Pomoc's own per-channel pacer does). A client near
# 100% of a core is the bottleneck: rerun with --clients 2 to check.

import argparse
import asyncio
import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import httpx
import uvloop

from benchmarks._common import (
    DEFAULT_PG,
    REPO,
    cpu_seconds,
    free_port,
    latency_ms,
    postgres_cpu_seconds,
    postgres_database,
    rss_mb,
    say,
)
from bot.triage.kb import DEPARTMENTS
from tests.fakes.slack_api import FakeSlack

PHASES = ("healthz", "create", "message", "list")
SCENARIOS = ("sqlite-1", "pg-1", "pg-2")
SHOPS = 20
# A mix as triage sees it: an outage (critical, straight to chat), a configuration question
# (articles suggested first) and a plain question (to chat in support hours, else queued).
TICKETS = (
    ("Awaria platnosci", "Klient nie moze zaplacic za zamowienie {n}, prosze o pomoc."),
    ("Przelewy24 konfiguracja", "Jak ustawic klucz CRC w Przelewy24? Sklep {n}."),
    ("Zmiana logo", "Chce podmienic logo w naglowku sklepu ({n}), gdzie to zrobic?"),
)


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    created: list[tuple[int, int]] = field(default_factory=list)  # (shop index, ticket id)
    client_cpu: float = 0.0

    def merge(self, other: "Outcome") -> None:
        self.latencies += other.latencies
        self.statuses += other.statuses
        self.created += other.created
        self.client_cpu += other.client_cpu


def request_for(phase: str, tokens: list[str], tickets: list[tuple[int, int]], n: int) -> dict:
    if phase == "healthz":
        return {"method": "GET", "url": "/healthz"}
    shop = random.randrange(len(tokens))
    headers = {"Authorization": f"Bearer {tokens[shop]}"}
    if phase == "create":
        title, body = TICKETS[n % len(TICKETS)]
        data = {"title": title, "body": body.format(n=n)}
        return {"method": "POST", "url": "/api/v1/tickets", "headers": headers, "data": data}
    if phase == "message":
        shop, ticket = random.choice(tickets)
        return {
            "method": "POST",
            "url": f"/api/v1/tickets/{ticket}/messages",
            "headers": {"Authorization": f"Bearer {tokens[shop]}"},
            "data": {"body": f"Dopisek {n}: nadal nie dziala."},
        }
    return {"method": "GET", "url": "/api/v1/tickets", "headers": headers}


async def drive(
    phase: str, urls: list[str], tokens: list[str], tickets: list, workers: int, duration: float
) -> Outcome:
    outcome = Outcome()
    started_cpu = time.process_time()
    end = time.monotonic() + duration
    # aiohttp on uvloop: the client shares the two cores with the servers and PostgreSQL, and
    # costs about a third of what httpx did per request.
    clients = [
        aiohttp.ClientSession(base_url=url, connector=aiohttp.TCPConnector(limit=workers))
        for url in urls
    ]

    async def worker(index: int) -> None:
        n = index
        while time.monotonic() < end:
            client = clients[n % len(clients)]
            request = request_for(phase, tokens, tickets, n)
            n += workers
            began = time.perf_counter()
            try:
                async with client.request(**request) as response:
                    payload = await response.read()
            except aiohttp.ClientError as error:
                outcome.statuses[type(error).__name__] += 1
                continue
            outcome.statuses[response.status] += 1
            if response.status < 400:
                outcome.latencies.append(time.perf_counter() - began)
            if phase == "create" and response.status == 201:
                shop = tokens.index(request["headers"]["Authorization"][7:])
                outcome.created.append((shop, json.loads(payload)["id"]))

    try:
        await asyncio.gather(*(worker(i) for i in range(workers)))
    finally:
        for client in clients:
            await client.close()
    outcome.client_cpu = time.process_time() - started_cpu
    return outcome


def drive_in_process(args: tuple) -> Outcome:
    return uvloop.run(drive(*args))


def run_phase(
    phase: str,
    urls: list[str],
    tokens: list[str],
    tickets: list,
    *,
    concurrency: int,
    clients: int,
    duration: float,
) -> Outcome:
    if clients == 1:
        return drive_in_process((phase, urls, tokens, tickets, concurrency, duration))
    per_client = max(1, concurrency // clients)
    jobs = [(phase, urls, tokens, tickets, per_client, duration)] * clients
    total = Outcome()
    with ProcessPoolExecutor(max_workers=clients) as pool:
        for part in pool.map(drive_in_process, jobs):
            total.merge(part)
    return total


def write_config(folder: Path, database_url: str, instance: int, slack_api: str | None) -> Path:
    path = folder / f"pomoc-{instance}.toml"
    text = (
        f'[server]\ninstance_id = "bench-{instance}"\n'
        f'[database]\nurl = "{database_url}"\n'
        f'[attachments]\ndirectory = "{folder / "files"}"\n'
        "[panel]\nmax_new_tickets_per_hour = 1000000000\n"
        "max_messages_per_minute = 1000000000\nmax_reads_per_minute = 1000000000\n"
    )
    if slack_api is not None:
        text += f'[slack]\nenabled = true\napi_base_url = "{slack_api}"\n'
        for name in DEPARTMENTS:
            text += f'[departments.{name}]\nplatform = "slack"\nchannel = "C{name.upper()}"\n'
    path.write_text(text)
    return path


class SlackInBackground:
    """The fake Slack Web API on its own event loop thread, for the servers to deliver to."""

    def __init__(self) -> None:
        self.fake = FakeSlack()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> "SlackInBackground":
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.fake.start(), self._loop).result(timeout=10)
        return self

    def __exit__(self, *_exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.fake.stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def threads(self) -> int:
        return sum(len(self.fake.roots(f"C{name.upper()}")) for name in DEPARTMENTS)


@contextlib.contextmanager
def servers(
    folder: Path,
    database_url: str,
    count: int,
    slack_api: str | None = None,
    *,
    configure: Callable[[Path, str, int, str | None], Path] = write_config,
) -> Iterator[list[tuple[str, int]]]:
    """`count` real `pomoc run` processes on one database; yields (base url, pid) pairs."""
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "POMOC_SECRET_KEY": "benchmark-only",
        "POMOC_SLACK_BOT_TOKEN": "xoxb-benchmark",
        "POMOC_SLACK_SIGNING_SECRET": "benchmark-signing-secret",
    }
    processes = []
    try:
        for instance in range(count):
            port = free_port()
            config = configure(folder, database_url, instance, slack_api)
            log = (folder / f"server-{instance}.log").open("w")
            command = [sys.executable, "-m", "pomoc", "run", "--config", str(config)]
            command += ["--port", str(port)]
            process = subprocess.Popen(
                command, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT
            )
            processes.append((f"http://127.0.0.1:{port}", process))
        for url, process in processes:
            deadline = time.monotonic() + 90
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"server exited, see {folder}/server-*.log")
                with contextlib.suppress(httpx.TransportError):
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError("server did not become healthy")
                time.sleep(0.2)
        yield [(url, process.pid) for url, process in processes]
    finally:
        for _, process in processes:
            process.terminate()
        for _, process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


@contextlib.contextmanager
def scenario_database(name: str, folder: Path, pg_url: str) -> Iterator[str]:
    if name.startswith("sqlite"):
        yield f"sqlite:///{folder / 'bench.db'}"
    else:
        with postgres_database(pg_url) as url:
            yield url


def run_scenario(name: str, args: argparse.Namespace) -> list[str]:
    from pomoc.cli import create_shop
    from storage.migrate import upgrade

    instances = int(name.rsplit("-", 1)[1])
    rows = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        scenario_database(name, Path(tmp), args.pg_url) as url,
        contextlib.ExitStack() as stack,
    ):
        folder = Path(tmp)
        upgrade(url)
        tokens = [create_shop(url, f"Sklep {n}") for n in range(SHOPS)]
        slack = stack.enter_context(SlackInBackground()) if args.chat == "slack" else None
        say(f"{name}: starting {instances} server(s)")
        with servers(folder, url, instances, slack.fake.api_url if slack else None) as running:
            urls = [u for u, _ in running]
            pids = [pid for _, pid in running]
            tickets: list[tuple[int, int]] = []
            run_phase("healthz", urls, tokens, tickets, concurrency=4, clients=1, duration=1)
            for phase in args.phases:
                if phase == "message" and not tickets:
                    continue
                say(f"{name}: {phase} for {args.duration:.0f}s at concurrency {args.concurrency}")
                cpu_before = [cpu_seconds(pid) for pid in pids]
                pg_before = postgres_cpu_seconds()
                began = time.monotonic()
                outcome = run_phase(
                    phase,
                    urls,
                    tokens,
                    tickets,
                    concurrency=args.concurrency,
                    clients=args.clients,
                    duration=args.duration,
                )
                wall = time.monotonic() - began
                pg_cpu = (postgres_cpu_seconds() - pg_before) / wall * 100
                tickets += outcome.created
                server_cpu = [
                    (cpu_seconds(pid) - before) / wall * 100
                    for pid, before in zip(pids, cpu_before, strict=True)
                ]
                ok = len(outcome.latencies)
                errors = {
                    k: v for k, v in outcome.statuses.items() if not str(k).startswith(("2", "3"))
                }
                rows.append(
                    f"{name:9} {phase:8} {ok / wall:8.1f} req/s  {latency_ms(outcome.latencies)}"
                    f"  errors {sum(errors.values()):4d}{' ' + str(errors) if errors else ''}"
                    f"  server CPU {'+'.join(f'{c:.0f}%' for c in server_cpu)}"
                    f"  RSS {'+'.join(f'{rss_mb(p):.0f}' for p in pids)} MB"
                    f"  client CPU {outcome.client_cpu / wall * 100:.0f}%"
                    + (f"  PostgreSQL CPU {pg_cpu:.0f}%" if url.startswith("postgresql") else "")
                    + (f"  Slack threads so far {slack.threads()}" if slack else "")
                )
                say(rows[-1])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--pg-url",
        default=DEFAULT_PG,
        help="an existing PostgreSQL database; the benchmark creates and drops its own next to it",
    )
    parser.add_argument("--scenarios", nargs="+", default=list(SCENARIOS), choices=SCENARIOS)
    parser.add_argument("--phases", nargs="+", default=list(PHASES), choices=PHASES)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per phase (max 60)")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight")
    parser.add_argument("--clients", type=int, default=1, help="client processes")
    parser.add_argument(
        "--chat",
        choices=("slack", "none"),
        default="slack",
        help="where departments route: a fake Slack Web API, or no chat (intake alone)",
    )
    args = parser.parse_args()
    args.duration = min(args.duration, 60.0)
    rows = []
    for name in args.scenarios:
        rows += run_scenario(name, args)
    print(
        f"\npanel_load: chat {args.chat}, {args.duration:.0f}s per phase, "
        f"concurrency {args.concurrency}, "
        f"{args.clients} client process(es), {os.cpu_count()} CPUs"
    )
    print("\n".join(rows))


if __name__ == "__main__":
    main()
