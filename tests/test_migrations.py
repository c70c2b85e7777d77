"""Migrations and models agree, upgrading is idempotent, and SQLite writers take turns."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, event, func, inspect
from sqlmodel import SQLModel, select

from storage.db import Database, make_engine
from storage.migrate import current_head, upgrade
from storage.models import AuditEntry


def test_migrated_schema_matches_the_models(database_url):
    engine = make_engine(database_url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    engine.dispose()
    assert diff == []


def test_upgrade_twice_is_a_no_op(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    upgrade(url)
    upgrade(url)
    engine = create_engine(url)
    tables = set(inspect(engine).get_table_names())
    with engine.connect() as connection:
        version = MigrationContext.configure(connection).get_current_revision()
    engine.dispose()
    assert {"ticket", "message", "outbox", "audit_log", "threadlink"} <= tables
    assert version == current_head()


def test_sqlite_runs_in_wal_mode(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    with engine.connect() as connection:
        mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
    engine.dispose()
    assert mode == "wal"


def test_sqlite_writers_take_turns_and_a_failed_one_gives_its_turn_back(tmp_path):
    """With SQLite's own waiting switched off, concurrent writers of one process would fail
    with "database is locked": they must queue on Pomoc's writer lock instead, and a
    transaction that fails half-way must not keep the lock."""
    url = f"sqlite:///{tmp_path / 'writers.db'}"
    upgrade(url)
    db = Database(url)
    event.listen(
        db.engine,
        "connect",
        lambda connection, _record: connection.execute("PRAGMA busy_timeout=0"),
    )
    now = datetime.now(UTC)
    with pytest.raises(RuntimeError), db.transaction() as session:
        session.add(AuditEntry(actor="t", action="x", detail={}, created_at=now))
        session.flush()
        raise RuntimeError("failed after writing")

    def write(n: int) -> None:
        with db.transaction() as session:
            session.exec(select(func.count()).select_from(AuditEntry)).one()
            session.add(AuditEntry(actor="t", action=f"w{n}", detail={}, created_at=now))
            session.flush()
            session.add(AuditEntry(actor="t", action=f"v{n}", detail={}, created_at=now))

    pool = ThreadPoolExecutor(max_workers=8)
    try:
        list(pool.map(write, range(200), timeout=60))  # a lock never given back ends here
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    with db.transaction() as session:
        assert session.exec(select(func.count()).select_from(AuditEntry)).one() == 400
    db.dispose()
