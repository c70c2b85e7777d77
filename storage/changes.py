"""Which shops a commit changed, announced to live updates (NOTIFY, or in-process on SQLite)."""

# A transaction collects the shops whose tickets, messages or attachments it wrote (ORM flush
# events), and the commit announces them. On PostgreSQL the announcement is a NOTIFY sent inside
# the transaction, so it is delivered exactly when (and only if) the commit lands, to every
# instance that LISTENs. SQLite serves one instance: its commits are announced to listeners in this
# process, keyed by the database file, so two `Database` objects on one file hear each other.

import asyncio
import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

import psycopg
from sqlalchemy import event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col

from storage.models import Attachment, Message, Ticket

log = logging.getLogger(__name__)

CHANNEL = "pomoc_panel_changes"
# Past this many shops in one commit (a retention purge) the NOTIFY says "everything" instead.
MAX_SHOPS_NAMED = 500
EVERYTHING = "*"
SHOPS = "pomoc.changed_shops"
TICKETS = "pomoc.changed_tickets"

# A listener gets the changed shop ids, or None for "anything may have changed".
Listener = Callable[[frozenset[int] | None], None]


def _collect(session: Session, _flush_context: Any) -> None:
    shops: set[int] = session.info.setdefault(SHOPS, set())
    tickets: set[int] = session.info.setdefault(TICKETS, set())
    for row in (*session.new, *session.dirty, *session.deleted):
        if isinstance(row, Ticket):
            shops.add(row.shop_id)
        elif isinstance(row, Message | Attachment):
            tickets.add(row.ticket_id)


def track(sessions: sessionmaker[Session]) -> None:
    """Collect the shops each flush of these sessions touches."""
    event.listen(sessions, "after_flush", _collect)


def changed_shops(session: Session) -> frozenset[int]:
    """Flush, then the shops whose rows this transaction wrote."""
    session.flush()
    shops = set(session.info.get(SHOPS, ()))
    tickets = session.info.get(TICKETS, set())
    unknown = []
    for ticket_id in tickets:
        loaded = session.identity_map.get(session.identity_key(Ticket, ticket_id))
        if loaded is not None:
            shops.add(loaded.shop_id)
        else:
            unknown.append(ticket_id)
    if unknown:
        query = select(col(Ticket.shop_id)).where(col(Ticket.id).in_(unknown))
        shops.update(session.execute(query).scalars())
    return frozenset(shops)


def notify_in_transaction(session: Session, shops: frozenset[int]) -> None:
    """PostgreSQL: NOTIFY the shops; delivered at COMMIT, dropped by a rollback."""
    named = EVERYTHING if len(shops) > MAX_SHOPS_NAMED else ",".join(map(str, sorted(shops)))
    session.execute(
        text("SELECT pg_notify(:channel, :shops)"), {"channel": CHANNEL, "shops": named}
    )


def parse_payload(payload: str) -> frozenset[int] | None:
    if payload == EVERYTHING:
        return None
    return frozenset(int(part) for part in payload.split(",") if part.isdigit())


class LocalChanges:
    """SQLite: listeners in this process, per database file; called from the committing thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: dict[str, set[Listener]] = {}

    @staticmethod
    def _key(url: str) -> str:
        return make_url(url).database or ""

    def add(self, url: str, listener: Listener) -> None:
        with self._lock:
            self._listeners.setdefault(self._key(url), set()).add(listener)

    def remove(self, url: str, listener: Listener) -> None:
        with self._lock:
            self._listeners.get(self._key(url), set()).discard(listener)

    def committed(self, url: str, shops: frozenset[int]) -> None:
        with self._lock:
            listeners: Iterable[Listener] = tuple(self._listeners.get(self._key(url), ()))
        for listener in listeners:
            try:
                listener(shops)
            except Exception:  # the commit stands; a stream re-reads at its next change
                log.exception("live-update listener failed")


LOCAL = LocalChanges()


def _libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def listen_postgres(url: str, listener: Listener, *, ping_seconds: float = 30.0) -> None:
    """LISTEN until cancelled, reconnecting with backoff; after each (re)connect the listener
    hears "anything may have changed", since commits while disconnected were not heard."""
    delay = 1.0
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(
                _libpq_url(url), autocommit=True
            ) as connection:
                await connection.execute(f"LISTEN {CHANNEL}")
                listener(None)
                delay = 1.0
                while True:
                    async for note in connection.notifies(timeout=ping_seconds):
                        listener(parse_payload(note.payload))
                    # Quiet for a while: a round trip tells a dead connection from a calm one.
                    await connection.execute("SELECT 1")
        except (psycopg.Error, OSError) as error:
            log.warning(
                "live updates: LISTEN connection lost (%s); retrying in %.0f s", error, delay
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)
