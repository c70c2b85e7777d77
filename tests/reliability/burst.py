"""A burst of outbox work (tickets escalated into threads, then follow-ups) and checks on it."""

import asyncio
from collections import defaultdict

from sqlalchemy import func
from sqlmodel import select

from bot.core import Core
from bot.dispatch import OutboxDispatcher
from pomoc.cli import create_shop
from storage.db import Database
from storage.models import OutboxItem, Shop


def open_burst(services: Core, *, tickets: int, posts: int) -> None:
    """`tickets` escalated tickets, then `posts` follow-ups each, interleaved across tickets."""
    create_shop(services.config.database.url, "Sklep Burzy")
    with services.db.transaction() as session:
        owner = session.exec(select(Shop).where(Shop.name == "Sklep Burzy")).one()
    opened = [
        services.tickets.open_ticket(shop=owner, title=f"Zmiana {n}", body="Jak to zrobic?").ticket
        for n in range(tickets)
    ]
    for n in range(posts):
        for ticket in opened:
            services.tickets.add_shop_message(shop=owner, ticket_id=ticket.id, body=f"dopisek {n}")


def outbox(db: Database) -> list[OutboxItem]:
    with db.transaction() as session:
        return list(session.exec(select(OutboxItem).order_by(OutboxItem.id)))


def pending(db: Database) -> int:
    with db.transaction() as session:
        query = select(func.count()).where(OutboxItem.state == "pending")
        return int(session.exec(query).one())


async def run_until_drained(
    db: Database, dispatchers: list[OutboxDispatcher], *, timeout: float = 60
) -> None:
    """Run every dispatcher's loop concurrently until nothing is pending (or fail on timeout)."""
    stop = asyncio.Event()

    async def watch() -> None:
        while await asyncio.to_thread(pending, db):
            await asyncio.sleep(0.05)
        stop.set()

    loops = [d.run(stop, idle=0.05) for d in dispatchers]
    await asyncio.wait_for(asyncio.gather(watch(), *loops), timeout=timeout)


def assert_thread_order(items: list[OutboxItem], visible: list[tuple[str, str]]) -> None:
    """Each thread shows its root first, then its posts in the order they were written."""
    order = {item.idempotency_key: item.id for item in items}
    by_thread: dict[str, list[str]] = defaultdict(list)
    for thread_id, key in visible:
        by_thread[thread_id].append(key)
    for thread_id, keys in by_thread.items():
        assert keys[0].startswith("open:"), thread_id
        ids = [order[key] for key in keys]
        assert ids == sorted(ids), f"{thread_id} out of order: {keys}"
