"""The scheduler: jobs in the database's job store, one leader, and a failover."""

import asyncio
from datetime import timedelta

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from pomoc.scheduler import AdvisoryLock, JobScheduler, JobSpec, LeaseLock, leader_lock, run_job
from storage.db import Database
from tests.support_db import PG_URL

JOB_IDS = {"advance_due", "sla_check", "housekeeping", "digest", "weekly"}


def recording_jobs(ran: list[str]) -> list[JobSpec]:
    return [
        JobSpec("tick", IntervalTrigger(minutes=5), lambda: ran.append("tick"), 60),
        JobSpec("daily", CronTrigger(hour=8, minute=30), lambda: ran.append("daily"), 3600),
    ]


def test_the_runtime_installs_pomocs_jobs(runtime):
    assert set(runtime.scheduler.jobs) == JOB_IDS
    digest = runtime.scheduler.jobs["digest"].trigger
    assert str(digest.timezone) == "Europe/Warsaw"
    assert "hour='8', minute='30'" in str(digest)


def test_the_lease_passes_on_only_after_it_expires(services, clock):
    first = LeaseLock(services.db, clock, owner="a", ttl=timedelta(seconds=30))
    second = LeaseLock(services.db, clock, owner="b", ttl=timedelta(seconds=30))
    assert first.acquire()
    assert not second.acquire()
    clock.advance(seconds=20)
    assert first.acquire()  # renewed
    clock.advance(seconds=29)
    assert not second.acquire()
    clock.advance(seconds=2)  # the leader stopped renewing: it is gone
    assert second.acquire()
    assert not first.acquire()
    second.release()
    assert first.acquire()


async def test_the_leader_runs_the_stored_jobs_and_hands_over(services, clock):
    ran: list[str] = []
    leader = JobScheduler(
        services.db, recording_jobs(ran), LeaseLock(services.db, clock, owner="a")
    )
    follower = JobScheduler(
        services.db, recording_jobs(ran), LeaseLock(services.db, clock, owner="b")
    )
    try:
        assert await leader.step()
        assert not await follower.step()
        assert set(leader.stored_jobs()) == {"tick", "daily"}
        await run_job(leader.token, "tick")
        await run_job(follower.token, "tick")  # not leading: not registered, nothing runs
        assert ran == ["tick"]

        next_daily = leader.stored_jobs()["daily"]
        await leader.close()  # a clean shutdown releases the lease at once
        assert await follower.step()
        # The follower adopted the stored jobs: same ids, same next run, its own runner.
        assert follower.stored_jobs()["daily"] == next_daily
        await run_job(follower.token, "daily")
        await run_job(leader.token, "daily")
        assert ran == ["tick", "daily"]
    finally:
        await leader.close()
        await follower.close()


async def test_a_failing_job_is_counted_and_does_not_stop_the_scheduler(services, clock):
    def broken() -> None:
        raise RuntimeError("boom")

    scheduler = JobScheduler(
        services.db,
        [JobSpec("broken", IntervalTrigger(minutes=1), broken, 60)],
        LeaseLock(services.db, clock, owner="a"),
    )
    try:
        assert await scheduler.step()
        await run_job(scheduler.token, "broken")
        assert scheduler.leading
        assert scheduler._runs.labels("broken", "error")._value.get() == 1
    finally:
        await scheduler.close()


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="needs POMOC_TEST_DATABASE_URL (PostgreSQL)")
async def test_two_instances_on_postgres_one_leader_and_a_failover(database_url):
    ran: list[str] = []
    first_db, second_db = Database(database_url), Database(database_url)
    first = JobScheduler(first_db, recording_jobs(ran), AdvisoryLock(database_url))
    second = JobScheduler(second_db, recording_jobs(ran), AdvisoryLock(database_url))
    try:
        assert await first.step()
        assert not await second.step()
        assert not await second.step()  # followers keep retrying, and keep losing
        assert (first.leading, second.leading) == (True, False)
        next_daily = first.stored_jobs()["daily"]

        first.lock.connection.close()  # the leader's process dies: PostgreSQL frees its lock
        assert await second.step()
        assert second.stored_jobs()["daily"] == next_daily
        await run_job(second.token, "tick")
        assert ran == ["tick"]

        # The old leader notices its lock is gone and stops its jobs; it then follows.
        assert not await first.step()
        assert not first.leading
        await run_job(first.token, "tick")
        assert ran == ["tick"]
        assert not await first.step()
        assert second.leading
    finally:
        await first.close()
        await second.close()
        first_db.dispose()
        second_db.dispose()


async def test_the_runtime_leads_while_running_and_lets_go_when_stopped(runtime, services):
    workers = asyncio.create_task(runtime.run_workers())
    try:
        async with asyncio.timeout(10):
            while not runtime.scheduler.leading:
                await asyncio.sleep(0.01)
        assert set(runtime.scheduler.stored_jobs()) == JOB_IDS
    finally:
        runtime.stop.set()
        await workers
    assert not runtime.scheduler.leading
    other = leader_lock(services.db, services.ctx.clock, owner="next-instance")
    assert other.acquire()  # released on the way out: no wait for the lease to expire
    other.release()
