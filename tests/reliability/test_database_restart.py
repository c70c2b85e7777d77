"""PostgreSQL drops every worker connection mid-burst: each message still shown exactly once."""

# PostgreSQL drops every connection of the workers mid-burst (what a restart does to them):
# afterwards each message is shown exactly once, in order, and nothing is left pending or dead.
#
# pg_terminate_backend on connections tagged with our application_name stands in for `pg_ctlcluster
# ... restart`: same effect on the workers, without disturbing other databases.

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text

from bot.dispatch import OutboxDispatcher
from storage.db import Database
from tests.reliability.burst import assert_thread_order, open_burst, outbox, run_until_drained
from tests.reliability.conftest import CHAOS_APP, pg_only, tagged
from tests.reliability.recording import Ledger, RecordingChat
from tests.support_db import _pg_admin_url

pytestmark = pg_only


def terminate_workers(admin_url: str) -> int:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            killed = connection.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = :app AND datname = current_database()"
                ),
                {"app": CHAOS_APP},
            )
            return int(killed.scalar_one())
    finally:
        engine.dispose()


@pytest.fixture
def workers_dbs(services):
    dbs = [Database(tagged(services.config.database.url)) for _ in range(2)]
    yield dbs
    for db in dbs:
        db.dispose()


async def test_burst_survives_the_database_dropping_every_connection(services, workers_dbs, clock):
    open_burst(services, tickets=20, posts=10)
    ledger = Ledger()
    dispatchers = [
        OutboxDispatcher(
            replace(services.ctx, db=db),
            {"matrix": RecordingChat(ledger, worker=f"w{n}", delay=0.004)},
            worker_id=f"w{n}",
            lease=timedelta(seconds=5),
            batch=8,
        )
        for n, db in enumerate(workers_dbs)
    ]
    admin_url = _pg_admin_url(services.config.database.url)
    killed: list[int] = []

    async def chaos() -> None:
        for threshold in range(20, 220, 25):
            while len(ledger.visible) < threshold:
                await asyncio.sleep(0.005)
            killed.append(await asyncio.to_thread(terminate_workers, admin_url))

    async def time_passes() -> None:
        # Leases and backoffs are on the fake clock: let them run out at 20x speed.
        while True:
            await asyncio.sleep(0.05)
            clock.advance(seconds=1)

    chaos_task = asyncio.create_task(chaos())
    ticking = asyncio.create_task(time_passes())
    try:
        await run_until_drained(services.db, dispatchers, timeout=90)
        await asyncio.wait_for(chaos_task, timeout=1)
    finally:
        ticking.cancel()
        chaos_task.cancel()

    # Every round found live worker connections to kill (idle ones come back through the
    # pool's pre-ping; busy ones fail their pass or delivery and are retried).
    assert len(killed) == 8 and all(killed), killed
    items = outbox(services.db)
    assert len(items) == 220
    assert {item.state for item in items} == {"done"}
    # Shown once per key by construction (the platform dedupes): check none is missing.
    assert {key for _, key in ledger.visible} == {item.idempotency_key for item in items}
    assert_thread_order(items, ledger.visible)
    # A second call for a key only ever comes flagged as a possible retry.
    seen: set[str] = set()
    for _, key, retry in ledger.calls:
        assert key not in seen or retry, key
        seen.add(key)
