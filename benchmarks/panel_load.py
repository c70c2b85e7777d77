"""Load on the real HTTP panel API: `pomoc run` processes on loopback, SQLite vs PostgreSQL,
one vs two instances, with a bare GET /healthz as the HTTP floor.

    .venv/bin/python -m benchmarks.panel_load --duration 5 --concurrency 16 --clients 1

Per scenario and phase it prints requests/s, latency p50/p95/p99, errors, the server
processes' CPU use and resident memory, and the client's CPU use: a client near 100% of a core
is the bottleneck, so rerun with --clients 2 (several client processes) to check.
"""

import argparse
import asyncio
import contextlib
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from benchmarks._common import (
    DEFAULT_PG,
    REPO,
    cpu_seconds,
    free_port,
    latency_ms,
    postgres_database,
    rss_mb,
    say,
)

PHASES = ("healthz", "create", "message", "list")
SCENARIOS = ("sqlite-1", "pg-1", "pg-2")
SHOPS = 20


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
        body = f"Klient nie moze zaplacic za zamowienie {n}, prosze o pomoc."
        data = {"title": f"Problem {n}", "body": body}
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
    clients = [
        httpx.AsyncClient(base_url=url, timeout=30, limits=httpx.Limits(max_connections=workers))
        for url in urls
    ]

    async def worker(index: int) -> None:
        n = index
        while time.monotonic() < end:
            client = clients[n % len(clients)]
            request = request_for(phase, tokens, tickets, n)
            began = time.perf_counter()
            try:
                response = await client.request(**request)
            except httpx.TransportError as error:
                outcome.statuses[type(error).__name__] += 1
                continue
            finally:
                n += workers
            outcome.statuses[response.status_code] += 1
            if response.status_code < 400:
                outcome.latencies.append(time.perf_counter() - began)
            if phase == "create" and response.status_code == 201:
                shop = tokens.index(request["headers"]["Authorization"][7:])
                outcome.created.append((shop, response.json()["id"]))

    try:
        await asyncio.gather(*(worker(i) for i in range(workers)))
    finally:
        for client in clients:
            await client.aclose()
    outcome.client_cpu = time.process_time() - started_cpu
    return outcome


def drive_in_process(args: tuple) -> Outcome:
    return asyncio.run(drive(*args))


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


def write_config(folder: Path, database_url: str, instance: int) -> Path:
    path = folder / f"pomoc-{instance}.toml"
    path.write_text(
        f'[server]\ninstance_id = "bench-{instance}"\n'
        f'[database]\nurl = "{database_url}"\n'
        f'[attachments]\ndirectory = "{folder / "files"}"\n'
        "[panel]\nmax_new_tickets_per_hour = 1000000000\n"
    )
    return path


class NullTriager:
    """Stands in while `bot.triage.build_triager` is missing from the tree: no suggestions."""

    def assess(self, *, title: str, body: str):
        from bot.triage import TriageResult

        return TriageResult(
            department="other", critical=False, suggestions=(), signals=(), confidence=0.0
        )

    def article(self, article_id: str) -> None:
        return None


def production_triager() -> bool:
    try:
        from bot.triage import build_triager  # noqa: F401
    except ImportError:
        return False
    return True


def server_command() -> list[str]:
    """`pomoc run` itself, or the same Runtime with the null triager if the real one is absent."""
    if production_triager():
        return [sys.executable, "-m", "pomoc", "run"]
    return [sys.executable, "-m", "benchmarks.panel_load", "--serve"]


def serve(config_path: Path, port: int) -> None:
    """What `pomoc run` does, with the null triager injected."""
    import logging

    from bot.config import Secrets, load_config
    from pomoc.runtime import Runtime, build_adapters, build_services

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    config = load_config(config_path)
    services = build_services(config, Secrets.from_env(), triager=NullTriager())
    runtime = Runtime(services=services, adapters=build_adapters(services))
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(runtime.serve(host="127.0.0.1", port=port))


@contextlib.contextmanager
def servers(folder: Path, database_url: str, count: int) -> Iterator[list[tuple[str, int]]]:
    """`count` real `pomoc run` processes on one database; yields (base url, pid) pairs."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "POMOC_SECRET_KEY": "benchmark-only"}
    processes = []
    try:
        for instance in range(count):
            port = free_port()
            config = write_config(folder, database_url, instance)
            log = (folder / f"server-{instance}.log").open("w")
            command = [*server_command(), "--config", str(config), "--port", str(port)]
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
    ):
        folder = Path(tmp)
        upgrade(url)
        tokens = [create_shop(url, f"Sklep {n}") for n in range(SHOPS)]
        say(f"{name}: starting {instances} server(s)")
        with servers(folder, url, instances) as running:
            urls = [u for u, _ in running]
            pids = [pid for _, pid in running]
            tickets: list[tuple[int, int]] = []
            run_phase("healthz", urls, tokens, tickets, concurrency=4, clients=1, duration=1)
            for phase in args.phases:
                if phase == "message" and not tickets:
                    continue
                say(f"{name}: {phase} for {args.duration:.0f}s at concurrency {args.concurrency}")
                cpu_before = [cpu_seconds(pid) for pid in pids]
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
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--config", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:  # a server process started by this benchmark
        serve(args.config, args.port)
        return
    args.duration = min(args.duration, 60.0)
    rows = []
    for name in args.scenarios:
        rows += run_scenario(name, args)
    triager = "production" if production_triager() else "null (build_triager not in tree)"
    print(
        f"\npanel_load: triager {triager}, {args.duration:.0f}s per phase, "
        f"concurrency {args.concurrency}, "
        f"{args.clients} client process(es), {os.cpu_count()} CPUs"
    )
    print("\n".join(rows))


if __name__ == "__main__":
    main()
