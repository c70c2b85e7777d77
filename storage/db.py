"""Engine and transactions: SQLite (WAL) by default, PostgreSQL by URL."""

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, create_engine

from storage import changes

log = logging.getLogger(__name__)

WRITES = frozenset({"INSERT", "UPDATE", "DELETE"})


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


class OneWriterAtATime:
    """Queue this process's SQLite writers on a lock instead of SQLite's busy handler.

    SQLite lets one transaction write at a time and makes the others sleep in growing steps,
    which under load gives tail latencies of hundreds of milliseconds. Here a transaction takes
    the lock before its first write and gives it back when its connection returns to the pool
    (after COMMIT or ROLLBACK); reads never wait. Other processes still meet the busy handler.
    """

    KEY = "pomoc.writing"

    def __init__(self, engine: Engine) -> None:
        self._lock = threading.RLock()
        event.listen(engine, "before_cursor_execute", self._before_statement)
        event.listen(engine.pool, "checkin", self._returned)

    def _before_statement(self, conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not conn.info.get(self.KEY) and statement.lstrip()[:6].upper() in WRITES:
            self._lock.acquire()
            conn.info[self.KEY] = True

    def _returned(self, _dbapi_connection: Any, record: Any) -> None:
        if record is not None and record.info.pop(self.KEY, False):
            self._lock.release()


def _owner_only(path: Path) -> None:
    """Create the SQLite file readable by its owner alone (it holds every ticket and the shops'
    token hashes); SQLite gives its -wal and -shm files the same mode."""
    if not path.exists():
        path.touch(mode=0o600)


def make_engine(url: str) -> Engine:
    """Create an engine; for SQLite make the parent folder and switch on WAL."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            _owner_only(Path(parsed.database))
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15})
        event.listen(engine, "connect", _sqlite_pragmas)
        OneWriterAtATime(engine)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


OUTBOX_WRITTEN = "pomoc.outbox_written"


def note_outbox_write(session: Session, channel: str) -> None:
    """Note that the transaction queued a delivery to `channel`, so its commit wakes the worker."""
    session.info.setdefault(OUTBOX_WRITTEN, set()).add(channel)


AFTER_COMMIT = "pomoc.after_commit"


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Call `callback` once the transaction commits (never when it rolls back): for what must
    count once, such as a measurement, however often a failed transaction is retried."""
    session.info.setdefault(AFTER_COMMIT, []).append(callback)


class Database:
    """Owns the engine; every unit of work is one `transaction()`."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, class_=Session, expire_on_commit=False)
        changes.track(self._sessions)
        self._outbox_listeners: list[Callable[[frozenset[str]], None]] = []

    def on_outbox_commit(self, listener: Callable[[frozenset[str]], None]) -> None:
        """Call `listener` with the channels after every commit that queued deliveries (it
        wakes the worker, so a reply goes out at once instead of at the worker's next poll)."""
        self._outbox_listeners.append(listener)

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self._sessions() as session:
            try:
                yield session
                shops = changes.changed_shops(session)
                if shops and self.is_postgres:
                    changes.notify_in_transaction(session, shops)
                session.commit()
            except BaseException:
                session.rollback()
                raise
            if shops and not self.is_postgres:
                changes.LOCAL.committed(self.url, shops)
            if channels := session.info.get(OUTBOX_WRITTEN):
                self._notify_outbox(frozenset(channels))
            for callback in session.info.get(AFTER_COMMIT, ()):
                try:
                    callback()
                except Exception:  # the commit stands: a lost measurement harms nothing
                    log.exception("after-commit callback failed")

    def _notify_outbox(self, channels: frozenset[str]) -> None:
        for listener in self._outbox_listeners:
            try:
                listener(channels)
            except Exception:  # the commit stands: a failed wake-up only delays delivery
                log.exception("outbox wake-up failed; the worker's next poll delivers")

    def dispose(self) -> None:
        self.engine.dispose()
