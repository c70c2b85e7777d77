"""Inbox query latency as data grows: ticket list and unread count, 1,000 vs 100,000 tickets."""

# Inbox query latency as data grows: the ticket list and the unread count (the "!" beside POMOC)
# with 1,000 vs 100,000 tickets, for one shop holding half of them and for many small shops, on
# SQLite and PostgreSQL; prints each query plan and whether it uses its index.
#
# .venv/bin/python -m benchmarks.inbox_queries --sizes 1000 100000 --iterations 300
#
# Timed like the panel runs them: the repository function inside one transaction.

import argparse
import contextlib
import json
import random
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import event, insert, select

from benchmarks._common import DEFAULT_PG, latency_ms, percentile, postgres_database, say
from storage import repositories as repo
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Shop, Ticket

STATUSES = ["open"] * 30 + ["waiting"] * 20 + ["resolved"] * 40 + ["queued"] * 5 + ["purged"] * 5
EXPECTED_INDEX = {"list": "ix_ticket_shop_activity", "unread": "ix_ticket_shop_unread"}
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def layout(size: int) -> tuple[int, int]:
    """(small shops, tickets each): the other half of `size` beside the one big shop."""
    shops = max(10, size // 200)
    return shops, size // 2 // shops


def ticket_row(shop_id: int, n: int) -> dict:
    created = NOW - timedelta(minutes=random.randrange(525_600))
    return {
        "shop_id": shop_id,
        "title": f"Zgłoszenie {n}",
        "body": "Klient nie może zapłacić za zamówienie, proszę o pomoc.",
        "status": random.choice(STATUSES),
        "priority": "normal",
        "department": "other",
        "triage": {},
        "deflected": False,
        "unread": random.random() < 0.2,
        "created_at": created,
        "updated_at": created,
        "last_activity_at": created + timedelta(minutes=random.randrange(10_000)),
    }


def rows(size: int, shop_ids: list[int]) -> Iterator[dict]:
    big, small = shop_ids[0], shop_ids[1:]
    _, each = layout(size)
    for n in range(size // 2):
        yield ticket_row(big, n)
    for shop_id in small:
        for n in range(each):
            yield ticket_row(shop_id, n)


def fill(db: Database, size: int) -> list[int]:
    """Bulk-insert the shops and tickets (COPY on PostgreSQL); returns the shop ids, big first."""
    small, _ = layout(size)
    with db.engine.begin() as connection:
        shops = [
            {"name": f"Sklep {n}", "token_hash": f"{n:064x}", "active": True, "created_at": NOW}
            for n in range(small + 1)
        ]
        connection.execute(insert(Shop.__table__), shops)
    with db.engine.connect() as connection:
        shop_ids = list(connection.execute(select(Shop.id).order_by(Shop.id)).scalars())
    if db.is_postgres:
        copy_tickets(db, rows(size, shop_ids))
    else:
        with db.engine.begin() as connection:
            connection.execute(insert(Ticket.__table__), list(rows(size, shop_ids)))
    with db.engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
    return shop_ids


def copy_tickets(db: Database, tickets: Iterator[dict]) -> None:
    columns = list(ticket_row(0, 0))
    raw = db.engine.raw_connection()
    try:
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY ticket ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in tickets:
                copy.write_row(
                    [
                        json.dumps(v)
                        if isinstance(v, dict)
                        else v.astimezone(UTC).replace(tzinfo=None)
                        if isinstance(v, datetime)
                        else v
                        for v in row.values()
                    ]
                )
        raw.commit()
    finally:
        raw.close()


QUERIES = {
    "list": lambda session, shop: repo.shop_tickets(session, shop, limit=50),
    "unread": lambda session, shop: repo.unread_count(session, shop),
}


def timed(db: Database, query: str, shops: list[int], iterations: int) -> list[float]:
    durations = []
    for _ in range(iterations):
        shop = random.choice(shops)
        began = time.perf_counter()
        with db.transaction() as session:
            QUERIES[query](session, shop)
        durations.append(time.perf_counter() - began)
    return durations


def plan(db: Database, query: str, shop: int) -> str:
    """The plan of the statement the repository really sends."""
    sent: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many) -> None:
        sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        with db.transaction() as session:
            QUERIES[query](session, shop)
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    statement, parameters = sent[-1]
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if db.is_postgres else "EXPLAIN QUERY PLAN "
    with db.engine.connect() as connection:
        result = connection.exec_driver_sql(prefix + statement, parameters).all()
    return "\n".join(" | ".join(str(c) for c in row) for row in result)


@contextlib.contextmanager
def database(backend: str, pg_url: str) -> Iterator[Database]:
    with contextlib.ExitStack() as stack:
        if backend == "pg":
            url = stack.enter_context(postgres_database(pg_url))
        else:
            folder = stack.enter_context(tempfile.TemporaryDirectory())
            url = f"sqlite:///{Path(folder) / 'inbox.db'}"
        upgrade(url)
        db = Database(url)
        stack.callback(db.dispose)
        yield db


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument("--backends", nargs="+", default=["sqlite", "pg"], choices=["sqlite", "pg"])
    parser.add_argument("--sizes", nargs="+", type=int, default=[1000, 100_000])
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--plans", action="store_true", help="print every query plan in full")
    args = parser.parse_args()
    random.seed(7)
    rows_out, verdicts = [], []
    for backend in args.backends:
        for size in args.sizes:
            with database(backend, args.pg_url) as db:
                say(f"{backend}: inserting {size:,} tickets")
                began = time.monotonic()
                shops = fill(db, size)
                say(f"{backend}: {size:,} tickets in {time.monotonic() - began:.1f}s; timing")
                for query in QUERIES:
                    for who, pool in (("one big shop", shops[:1]), ("many shops", shops[1:])):
                        timed(db, query, pool, 20)  # warm caches and the pool
                        durations = timed(db, query, pool, args.iterations)
                        rows_out.append(
                            f"{backend:6} {size:>7,} {query:6} {who:12} {latency_ms(durations)}"
                        )
                        say(rows_out[-1])
                        text = plan(db, query, pool[0])
                        uses = EXPECTED_INDEX[query] in text
                        verdicts.append(
                            f"{backend:6} {size:>7,} {query:6} {who:12} "
                            f"{'uses ' if uses else 'DOES NOT USE '}{EXPECTED_INDEX[query]}"
                            f"  p95 {percentile([d * 1000 for d in durations], 95):.2f} ms"
                        )
                        if args.plans or not uses:
                            print(f"-- plan: {backend} {size} {query} {who}\n{text}\n")
    print(f"\ninbox_queries: {args.iterations} iterations each (limit 50 for the list)")
    print("\n".join(rows_out))
    print("\nplans:")
    print("\n".join(verdicts))


if __name__ == "__main__":
    main()
