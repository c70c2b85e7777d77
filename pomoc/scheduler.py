"""Scheduled jobs: APScheduler with its job store in Pomoc's database, run by one leader."""

# Every instance runs `JobScheduler.run`; the one holding the leader lock runs the jobs, the others
# retry every few seconds and take over when the leader dies. On PostgreSQL the lock is a session
# advisory lock on a dedicated connection, which the server frees when the connection dies; on
# SQLite (one instance) a lease row in `syncstate` stands in.

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Protocol

import psycopg
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from prometheus_client import CollectorRegistry, Counter
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.clock import Clock
from bot.digest import ManagerReports
from bot.housekeeping import Housekeeper
from bot.sla import SlaMonitor
from bot.weekly import send_weekly
from storage import repositories as repo
from storage.db import Database, make_engine

log = logging.getLogger(__name__)

LOCK_KEY = 0x706F6D6F6331  # "pomoc1": not the migrations' key
LEASE_KEY = "scheduler.leader"


class LeaderLock(Protocol):
    def acquire(self) -> bool:
        """Take the lead, or confirm it is still ours; False while another instance leads."""
        ...

    def release(self) -> None: ...


class AdvisoryLock:
    """`pg_try_advisory_lock` on a connection of its own, held for as long as we lead."""

    def __init__(self, url: str, *, key: int = LOCK_KEY) -> None:
        self.url = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.key = key
        self.connection: psycopg.Connection | None = None

    def acquire(self) -> bool:
        if self.connection is not None:
            try:
                self.connection.execute("SELECT 1")
                return True
            except psycopg.Error:
                # The connection died, so the server has freed the lock: stop leading first.
                log.warning("leader lock connection lost")
                self.release()
                return False
        try:
            connection = psycopg.connect(self.url, autocommit=True, connect_timeout=5)
        except psycopg.Error as error:
            log.warning("cannot connect for the leader lock: %s", error)
            return False
        row = connection.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
        won = row is not None and row[0]
        if won:
            self.connection = connection
        else:
            connection.close()
        return bool(won)

    def release(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(psycopg.Error):
                self.connection.close()  # closing frees the session lock
            self.connection = None


class LeaseLock:
    """A lease row renewed by the leader; another instance takes over once it expires."""

    def __init__(
        self, db: Database, clock: Clock, *, owner: str, ttl: timedelta = timedelta(seconds=30)
    ) -> None:
        self.db = db
        self.clock = clock
        self.owner = owner
        self.ttl = ttl

    def acquire(self) -> bool:
        now = self.clock.now()
        try:
            with self.db.transaction() as session:
                holder, _, until = (repo.get_sync_state(session, LEASE_KEY) or "").partition("|")
                if holder not in ("", self.owner) and datetime.fromisoformat(until) > now:
                    return False
                lease = f"{self.owner}|{(now + self.ttl).isoformat()}"
                repo.set_sync_state(session, LEASE_KEY, lease, now)
        except SQLAlchemyError as error:  # e.g. another instance wrote the lease first
            log.warning("leader lease not taken: %s", error)
            return False
        return True

    def release(self) -> None:
        with self.db.transaction() as session:
            if (repo.get_sync_state(session, LEASE_KEY) or "").startswith(f"{self.owner}|"):
                repo.set_sync_state(session, LEASE_KEY, "", self.clock.now())


def leader_lock(db: Database, clock: Clock, *, owner: str) -> LeaderLock:
    return AdvisoryLock(db.url) if db.is_postgres else LeaseLock(db, clock, owner=owner)


@dataclass(frozen=True)
class JobSpec:
    id: str
    trigger: BaseTrigger
    run: Callable[[], object]
    # How late a run may still start (seconds), e.g. after a failover.
    misfire_grace_time: int


# The job store keeps a reference to `run_job` and its arguments, not our objects: each leading
# scheduler registers itself here under a token, which it writes into its jobs' arguments.
_LEADERS: dict[str, "JobScheduler"] = {}


async def run_job(token: str, job_id: str) -> None:
    scheduler = _LEADERS.get(token)
    if scheduler is None:
        log.warning("job %s belongs to a scheduler that no longer leads here", job_id)
        return
    await scheduler.run_now(job_id)


class JobScheduler:
    def __init__(
        self,
        db: Database,
        jobs: list[JobSpec],
        lock: LeaderLock,
        *,
        retry_seconds: float = 5.0,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.db = db
        self.jobs = {spec.id: spec for spec in jobs}
        self.lock = lock
        self.retry_seconds = retry_seconds
        self.token = uuid.uuid4().hex
        self.leading = False
        self._scheduler: AsyncIOScheduler | None = None
        self._runs = Counter(
            "pomoc_job_runs",
            "Scheduled job runs in this instance, by outcome",
            ["job", "outcome"],
            registry=registry,
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Elect, run the jobs while leading, retry while following; until `stop` is set."""
        try:
            while not stop.is_set():
                try:
                    await self.step()
                except Exception:  # a database hiccup must not end the election loop
                    log.exception("leader election failed")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.retry_seconds)
        finally:
            await self.close()

    async def close(self) -> None:
        """Stop the jobs here and give up the lead, so another instance takes over at once."""
        self._stop()
        await asyncio.to_thread(self.lock.release)

    async def step(self) -> bool:
        """One election round: start the jobs on taking the lead, stop them on losing it."""
        leading = await asyncio.to_thread(self.lock.acquire)
        if leading and not self.leading:
            log.info("leading: scheduled jobs start here")
            self._start()
        elif not leading and self.leading:
            log.warning("no longer leading: scheduled jobs stop here")
            self._stop()
        return leading

    async def run_now(self, job_id: str) -> None:
        try:
            await asyncio.to_thread(self.jobs[job_id].run)
        except Exception:
            self._runs.labels(job_id, "error").inc()
            log.exception("scheduled job %s failed", job_id)
        else:
            self._runs.labels(job_id, "ok").inc()

    def stored_jobs(self) -> dict[str, datetime | None]:
        """Job id -> next run time, from the job store (only while leading)."""
        assert self._scheduler is not None
        return {job.id: job.next_run_time for job in self._scheduler.get_jobs()}

    def _start(self) -> None:
        scheduler = AsyncIOScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=make_engine(self.db.url))},
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=UTC,
        )
        scheduler.start(paused=True)
        try:
            for job in scheduler.get_jobs():
                if job.id not in self.jobs:
                    job.remove()
            for spec in self.jobs.values():
                self._install(scheduler, spec)
        except Exception:
            scheduler.shutdown(wait=False)  # the next election round tries again
            raise
        _LEADERS[self.token] = self
        scheduler.resume()
        self._scheduler = scheduler
        self.leading = True

    def _install(self, scheduler: AsyncIOScheduler, spec: JobSpec) -> None:
        """Add the job, or adopt the stored one so its next run time survives a failover."""
        args = (self.token, spec.id)
        job = scheduler.get_job(spec.id)
        if job is None:
            scheduler.add_job(
                run_job,
                spec.trigger,
                args=args,
                id=spec.id,
                name=spec.id,
                misfire_grace_time=spec.misfire_grace_time,
            )
            return
        if _describe(job.trigger) != _describe(spec.trigger):  # the config changed
            job.reschedule(spec.trigger)
        job.modify(args=args, misfire_grace_time=spec.misfire_grace_time)

    def _stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        _LEADERS.pop(self.token, None)
        self.leading = False


def _describe(trigger: BaseTrigger) -> str:
    return f"{trigger} {getattr(trigger, 'timezone', '')}"


def standard_jobs(
    *,
    advance_due: Callable[[], object],
    sla: SlaMonitor,
    housekeeper: Housekeeper,
    reports: ManagerReports,
) -> list[JobSpec]:
    """Pomoc's jobs: queue release, SLA check, retention, the digest at `digest_time` and the
    weekly report at `weekly_day`/`weekly_time`."""
    ctx = sla.ctx
    digest_at = time.fromisoformat(ctx.config.managers.digest_time)
    weekly_at = time.fromisoformat(ctx.config.managers.weekly_time)
    return [
        JobSpec("advance_due", IntervalTrigger(seconds=20), advance_due, misfire_grace_time=20),
        JobSpec("sla_check", IntervalTrigger(minutes=1), sla.check, misfire_grace_time=60),
        JobSpec("housekeeping", IntervalTrigger(hours=1), housekeeper.run, misfire_grace_time=3600),
        JobSpec(
            "digest",
            CronTrigger(hour=digest_at.hour, minute=digest_at.minute, timezone=ctx.hours.zone),
            reports.send_digest,
            # A leader that takes over later that day still sends it (once: keyed by day).
            misfire_grace_time=6 * 3600,
        ),
        JobSpec(
            "weekly",
            CronTrigger(
                day_of_week=ctx.config.managers.weekly_day,
                hour=weekly_at.hour,
                minute=weekly_at.minute,
                timezone=ctx.hours.zone,
            ),
            lambda: send_weekly(ctx),
            # Keyed by ISO week, so sent once; a run missed by over 6 h is skipped until next
            # week (`pomoc report weekly --send` sends it by hand).
            misfire_grace_time=6 * 3600,
        ),
    ]
