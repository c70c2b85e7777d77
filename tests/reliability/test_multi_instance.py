"""Several outbox workers on one PostgreSQL database: each item once, in order, none stuck."""

from collections import Counter
from dataclasses import replace

import pytest

from bot.dispatch import OutboxDispatcher
from storage.db import Database
from tests.reliability.burst import (
    assert_thread_order,
    open_burst,
    outbox,
    run_until_drained,
)
from tests.reliability.conftest import pg_only
from tests.reliability.recording import Ledger, RecordingChat

pytestmark = pg_only


@pytest.fixture
def instances(services):
    """Three "processes": separate engines and worker ids, one shared database."""
    dbs = [Database(services.config.database.url) for _ in range(3)]
    yield dbs
    for db in dbs:
        db.dispose()


async def test_three_instances_deliver_a_burst_exactly_once_in_order(services, instances):
    open_burst(services, tickets=30, posts=10)
    ledger = Ledger()
    dispatchers = [
        OutboxDispatcher(
            replace(services.ctx, db=db),
            {"matrix": RecordingChat(ledger, worker=f"w{n}", delay=0.003)},
            worker_id=f"w{n}",
            batch=8,
        )
        for n, db in enumerate(instances)
    ]
    await run_until_drained(services.db, dispatchers)

    items = outbox(services.db)
    assert len(items) == 330
    assert {item.state for item in items} == {"done"}
    calls = Counter(key for _, key, _ in ledger.calls)
    assert set(calls) == {item.idempotency_key for item in items}
    assert max(calls.values()) == 1, [key for key, n in calls.items() if n > 1]
    assert not any(retry for _, _, retry in ledger.calls)
    assert_thread_order(items, ledger.visible)
    workers = Counter(worker for worker, _, _ in ledger.calls)
    assert len(workers) >= 2, workers  # the work was really shared
