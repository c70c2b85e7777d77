"""Helpers the benchmarks share: percentiles, throwaway databases, process memory, progress."""

import contextlib
import os
import socket
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PG = os.environ.get("POMOC_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


def say(message: str) -> None:
    """Progress goes to stderr, so stdout keeps only the figures."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def latency_ms(values: list[float]) -> str:
    """p50/p95/p99 of durations given in seconds."""
    ms = [v * 1000 for v in values]
    return "  ".join(f"p{p} {percentile(ms, p):7.2f} ms" for p in (50, 95, 99))


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _stat_cpu(stat: str) -> float:
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    return _stat_cpu(Path(f"/proc/{pid}/stat").read_text())


def postgres_cpu_seconds() -> float:
    """CPU time of this machine's running PostgreSQL processes (a backend that has exited
    is no longer counted: compare two readings over a run that keeps its connections)."""
    total = 0.0
    for path in Path("/proc").glob("[0-9]*/stat"):
        try:
            stat = path.read_text()
        except OSError:  # the process ended while we looked
            continue
        if stat[stat.index("(") + 1 : stat.rindex(")")] == "postgres":
            total += _stat_cpu(stat)
    return total


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def postgres_database(base_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database next to `base_url`, dropped afterwards."""
    admin = make_url(base_url).set(drivername="postgresql+psycopg")
    name = f"pomoc_bench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()
