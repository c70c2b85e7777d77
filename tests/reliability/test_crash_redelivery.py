"""A worker that dies after the platform call but before recording it: redelivered, same key."""

# A worker that dies after the platform call but before recording it: the item comes back, only
# after its lease, with the same key and `retry=True`, so a deduping platform shows it once.

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.dispatch import OutboxDispatcher
from storage.db import Database
from tests.reliability.burst import assert_thread_order, open_burst, outbox
from tests.reliability.recording import Ledger, RecordingChat

LEASE = timedelta(seconds=120)


class ProcessDied(BaseException):
    """Stands for SIGKILL: nothing after the platform call runs, not even error handling."""


@pytest.fixture
def second_db(services):
    db = Database(services.config.database.url)
    yield db
    db.dispose()


def dispatcher(db, services, ledger, worker: str) -> OutboxDispatcher:
    chat = RecordingChat(ledger, worker=worker)
    ctx = replace(services.ctx, db=db)
    return OutboxDispatcher(ctx, {"matrix": chat}, worker_id=worker, lease=LEASE)


@pytest.mark.parametrize("dies_at", ["open_thread", "post"])
async def test_death_before_done_redelivers_same_key_after_the_lease(
    services, second_db, clock, dies_at
):
    open_burst(services, tickets=1, posts=2)
    ledger = Ledger()
    doomed = dispatcher(services.db, services, ledger, "doomed")
    survivor = dispatcher(second_db, services, ledger, "survivor")
    if dies_at == "post":
        assert await doomed.deliver_once() == 1  # the thread opens normally

    def die(item, payload, result) -> None:
        raise ProcessDied(item.idempotency_key)

    doomed.outcomes.done = die
    with pytest.raises(ProcessDied) as died:
        await doomed.deliver_once()
    key = str(died.value)
    assert key.startswith("open:" if dies_at == "open_thread" else "post:")
    assert ledger.calls_of(key) == [("doomed", key, False)]

    # The doomed worker might still be alive and about to commit: nobody else touches its lease.
    clock.advance(seconds=LEASE.total_seconds() - 1)
    assert await survivor.deliver_once() == 0
    clock.advance(seconds=2)
    while await survivor.deliver_once():
        pass

    assert ledger.calls_of(key) == [("doomed", key, False), ("survivor", key, True)]
    items = outbox(services.db)
    assert {item.state for item in items} == {"done"}
    assert [k for _, k in ledger.visible] == [item.idempotency_key for item in items]
    assert_thread_order(items, ledger.visible)
