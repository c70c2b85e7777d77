"""Managers' report generation time at 100,000 tickets: `bot.reports.collect` for a week and for
30 days, beside a baseline measured in the same run on the same database."""

# .venv/bin/python -m benchmarks.report_bench --tickets 100000 --iterations 5
#
# The database holds a year of tickets (about 1,900 a week) with the rows a real one has per
# ticket: the shop's message, agents' replies and notes, Pomoc's lines (suggestions, "resolved
# by"), audit entries (open, suggest/escalate, feedback, reply, priority/move, resolve), SLA
# alerts and ratings. Baselines: one `SELECT count(*)` of the period's tickets (the least any
# report costs) and loading the period's tickets as ORM rows (what the old digest did).
# SQLite by default; `--postgres postgresql://postgres@127.0.0.1:5432/test` runs it in a database
# of its own on that server, dropped afterwards.

import argparse
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert
from sqlmodel import col, select

from benchmarks._common import latency_ms, percentile, say
from bot.clock import SystemClock
from bot.config import Secrets, parse_config
from bot.context import Context
from bot.hours import SupportHours
from bot.reports import collect, last_week
from storage.db import Database
from storage.files import AttachmentStore
from storage.migrate import upgrade
from storage.models import AuditEntry, Message, Rating, Shop, SlaAlert, Ticket
from tests.support_db import PostgresDatabases

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
DEPARTMENTS = ["payments", "shipping", "products", "integrations", "other"]
AGENTS = ["Anna", "Bartek", "Celina", "Darek", "Ewa", "Filip"]
TITLES = ["Przelewy24 nie dziala", "zmiana logo", "inpost etykieta", "faktura korekta",
          "allegro integracja", "kody rabatowe", "nowa kategoria", "blik zwrot"]  # fmt: skip
SUGGESTION = {"article_id": "p24-crc", "title": "Klucz CRC", "url": "https://x/p24", "score": 1.0}
BATCH = 20_000


class NoTriager:
    """Reports never triage: a stand-in that says so if called."""

    def assess(self, *, title: str, body: str) -> Any:
        raise AssertionError("reports do not triage")

    def article(self, article_id: str) -> Any:
        raise AssertionError("reports do not triage")


def ticket_rows(size: int, shops: int) -> Iterator[tuple[dict, list[dict], list[dict], list]]:
    """Each ticket with its messages, audit entries and (optional) SLA alert and rating."""
    for n in range(size):
        created = NOW - timedelta(minutes=random.randrange(525_600))
        answered = created + timedelta(minutes=random.randrange(5, 600))
        resolved = answered + timedelta(minutes=random.randrange(10, 4000))
        deflected = random.random() < 0.1
        done = resolved < NOW and random.random() < 0.9
        suggested = random.random() < 0.6
        agent = random.choice(AGENTS)
        ticket = {
            "shop_id": random.randrange(1, shops + 1),
            "title": f"{random.choice(TITLES)} {n % 97}",
            "body": "Klient nie może zapłacić za zamówienie, proszę o pomoc.",
            "status": "resolved" if done else "open",
            "priority": "critical" if random.random() < 0.1 else "normal",
            "department": random.choice(DEPARTMENTS),
            "triage": {"suggestions": [SUGGESTION] if suggested else [], "signals": []},
            "deflected": done and deflected,
            "unread": False,
            "created_at": created,
            "updated_at": created,
            "last_activity_at": resolved if done else answered,
            "escalated_at": None if deflected else created,
            "first_response_at": None if deflected else answered,
            "resolved_at": resolved if done else None,
        }
        shop = f"shop:{ticket['shop_id']}"
        actor = f"agent:matrix:@{agent.lower()}:hs"
        messages = [("shop", "", created, {})]
        audit = [(shop, "open", created, {})]
        if suggested:
            messages.append(("bot", "", created, {"kind": "suggestions"}))
            audit.append((shop, "feedback", created, {"helped": deflected}))
        if not deflected:
            audit.append((shop, "escalate", created, {}))
            replies = random.choice((1, 1, 2, 2, 3))
            for r in range(replies):
                at = answered + timedelta(minutes=30 * r)
                messages.append(("agent", agent, at, {}))
                audit.append((actor, "agent_reply", at, {}))
            if random.random() < 0.3:
                messages.append(("note", agent, answered, {}))
            if random.random() < 0.05:
                audit.append((actor, random.choice(("priority", "move")), answered, {}))
        if done:
            by = {"kind": "deflected"} if deflected else {"kind": "resolved", "by": agent}
            messages.append(("bot", "", resolved, by))
            audit.append((shop if deflected else actor, "resolve", resolved, {}))
        alert = random.random() < 0.05
        rating = done and not deflected and random.random() < 0.3
        yield (
            ticket,
            [
                {
                    "author": a,
                    "author_name": name,
                    "body": ".",
                    "created_at": at,
                    "extra": extra,
                    "source": "panel",
                }
                for a, name, at, extra in messages
            ],
            [
                {"actor": a, "action": what, "created_at": at, "detail": d}
                for a, what, at, d in audit
            ],
            [alert, rating, resolved],
        )


def fill(db: Database, size: int) -> None:
    """Bulk-insert the shops, then the tickets and their rows in batches."""
    shops = max(10, size // 200)
    with db.engine.begin() as connection:
        connection.execute(
            insert(Shop.__table__),
            [
                {"name": f"Sklep {n}", "token_hash": f"{n:064x}", "active": True, "created_at": NOW}
                for n in range(shops)
            ],
        )
    rows = ticket_rows(size, shops)
    next_id = 1
    while batch := [row for _, row in zip(range(BATCH), rows, strict=False)]:
        messages, audit, alerts, ratings = [], [], [], []
        for offset, (ticket, ticket_messages, ticket_audit, (alert, rating, at)) in enumerate(
            batch
        ):
            ticket_id = next_id + offset
            ticket["id"] = ticket_id
            messages += [{**m, "ticket_id": ticket_id} for m in ticket_messages]
            audit += [{**a, "ticket_id": ticket_id} for a in ticket_audit]
            if alert:
                alerts.append({"ticket_id": ticket_id, "kind": "first_response", "stage": "breach",
                               "seq": 1, "deadline": at, "created_at": at})  # fmt: skip
            if rating:
                ratings.append({"ticket_id": ticket_id, "shop_id": ticket["shop_id"],
                                "score": random.randint(1, 5), "comment": None,
                                "created_at": at, "updated_at": at})  # fmt: skip
        with db.engine.begin() as connection:
            connection.execute(insert(Ticket.__table__), [t for t, *_ in batch])
            connection.execute(insert(Message.__table__), messages)
            connection.execute(insert(AuditEntry.__table__), audit)
            if alerts:
                connection.execute(insert(SlaAlert.__table__), alerts)
            if ratings:
                connection.execute(insert(Rating.__table__), ratings)
        next_id += len(batch)
    with db.engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")


def count_opened(ctx: Context, start: datetime, end: datetime) -> None:
    query = select(func.count()).where(
        col(Ticket.created_at) >= start, col(Ticket.created_at) < end
    )
    with ctx.db.transaction() as session:
        session.exec(query).one()


def load_tickets(ctx: Context, start: datetime, end: datetime) -> None:
    query = select(Ticket).where(col(Ticket.created_at) >= start, col(Ticket.created_at) < end)
    with ctx.db.transaction() as session:
        list(session.exec(query))


def timed(call: Callable[[], object], iterations: int) -> list[float]:
    call()  # warm the page cache and the connection pool
    durations = []
    for _ in range(iterations):
        began = time.perf_counter()
        call()
        durations.append(time.perf_counter() - began)
    return durations


def context(url: str, folder: Path) -> Context:
    config = parse_config(
        {"database": {"url": url}, "attachments": {"directory": str(folder / "files")}}
    )
    return Context(
        config=config,
        secrets=Secrets.from_env({}),
        db=Database(url),
        clock=SystemClock(),
        hours=SupportHours(config.support_hours),
        files=AttachmentStore(config.attachments.directory),
        triager=NoTriager(),
    )


@contextmanager
def database(postgres: str | None, folder: Path) -> Iterator[str]:
    """A migrated, empty database: a SQLite file in `folder`, or one made on the server."""
    if postgres is None:
        url = f"sqlite:///{folder / 'reports.db'}"
        upgrade(url)
        yield url
        return
    made = PostgresDatabases(postgres)
    try:
        yield made.url
    finally:
        made.drop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server instead of SQLite")
    args = parser.parse_args()
    random.seed(7)
    with tempfile.TemporaryDirectory() as folder, database(args.postgres, Path(folder)) as url:
        ctx = context(url, Path(folder))
        say(f"inserting {args.tickets:,} tickets with their messages, audit, alerts, ratings")
        began = time.monotonic()
        fill(ctx.db, args.tickets)
        say(f"filled in {time.monotonic() - began:.1f}s; timing")
        week = last_week(NOW, ctx.hours)
        periods = {"week": week, "30 days": (NOW - timedelta(days=30), NOW)}
        lines = []
        for name, (start, end) in periods.items():
            report = collect(ctx, start=start, end=end)
            measured = {
                "collect": timed(
                    lambda s=start, e=end: collect(ctx, start=s, end=e), args.iterations
                ),
                "count(*)": timed(lambda s=start, e=end: count_opened(ctx, s, e), args.iterations),
                "ORM load": timed(lambda s=start, e=end: load_tickets(ctx, s, e), args.iterations),
            }
            p50 = {what: percentile(d, 50) for what, d in measured.items()}
            lines.append(
                f"{name}: {report.opened:,} opened, {report.resolved:,} resolved, "
                f"{len(report.gaps):,} gaps, {len(report.agents)} agents"
            )
            for what, durations in measured.items():
                ratio = p50["collect"] / p50[what]
                lines.append(f"  {what:9} {latency_ms(durations)}   collect/this {ratio:6.1f}x")
        ctx.db.dispose()
    engine = "PostgreSQL" if args.postgres else "SQLite"
    print(f"\nreport_bench: {engine}, {args.tickets:,} tickets, {args.iterations} iterations each")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
