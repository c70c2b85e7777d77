"""The outbox worker: leases due deliveries, calls the platform adapter, records the outcome.

At most one successful call per idempotency key: an item is marked done in the same
transaction that records what the platform returned (thread link, message link). A crash
between the platform call and that commit re-delivers after the lease expires, with the same
key, which adapters pass to the platform where it deduplicates (Matrix transaction ids) or
check for themselves before posting again (Slack message metadata).
"""

import asyncio
import logging
import random
from collections.abc import Collection, Mapping
from datetime import timedelta

from sqlmodel import Session

from adapters.base import ChatAdapter
from bot.errors import DeliveryError
from bot.events import ThreadRef
from bot.snapshots import message_view, ticket_view
from bot.ticketing import Context
from bot.views import MessageView, TicketView
from storage import repositories as repo
from storage.db import Database
from storage.models import Message, MessageLink, OutboxItem, ThreadLink, Ticket

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 20
MAX_BACKOFF = 600.0


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with full jitter, capped at ten minutes."""
    return random.uniform(0.5, min(MAX_BACKOFF, 2.0 ** min(attempts, 12)))


def by_channel(items: list[OutboxItem]) -> dict[tuple[str, str], list[OutboxItem]]:
    """Items grouped by (platform, channel), each group in claim order."""
    groups: dict[tuple[str, str], list[OutboxItem]] = {}
    for item in items:
        groups.setdefault((item.platform, item.channel), []).append(item)
    return groups


class OutboxDispatcher:
    def __init__(
        self,
        db: Database,
        ctx: Context,
        adapters: Mapping[str, ChatAdapter],
        *,
        worker_id: str,
        lease: timedelta = timedelta(seconds=120),
        batch: int = 50,
    ) -> None:
        self.db = db
        self.ctx = ctx
        self.adapters = adapters
        self.worker_id = worker_id
        self.lease = lease
        self.batch = batch
        self._wake = asyncio.Event()
        self._lanes: dict[str, asyncio.Task] = {}  # channel -> the task delivering to it

    def kick(self, channels: Collection[str] = ()) -> None:
        """Wake the worker now instead of at its next poll (call from the event loop).

        Not when every channel named already has a lane at work: the lane's end brings the
        next claim for its channel, and a claim now would find nothing to take."""
        if not channels or any(c not in self._lanes for c in channels):
            self._wake.set()

    async def run(self, stop: asyncio.Event, *, idle: float = 0.25) -> None:
        """Deliver until `stop`: one lane per channel, so a channel that is slow or rate
        limited (Slack allows about a message a second) holds back no other channel."""
        # Leases held under our id belong to a previous life of this instance (a crash or a
        # kill): take them back now instead of waiting for them to expire.
        released = await asyncio.to_thread(self._release_own_leases)
        if released:
            log.warning("took back %d deliveries leased before a restart", released)
        lanes = self._lanes
        try:
            while not stop.is_set():
                # Cleared before claiming: a commit that kicks meanwhile gets a pass of its own.
                self._wake.clear()
                for channel in [c for c, lane in lanes.items() if lane.done()]:
                    del lanes[channel]
                try:
                    # A busy lane's channel is skipped: its next items wait in the database,
                    # unleased, instead of behind the lane where their lease could run out.
                    claimed = await asyncio.to_thread(self._claim, busy=frozenset(lanes))
                except Exception:  # a database hiccup must not kill the worker
                    log.exception("outbox pass failed")
                    claimed = []
                for (_, channel), items in by_channel(claimed).items():
                    lanes[channel] = asyncio.create_task(self._deliver_in_order(items))
                    lanes[channel].add_done_callback(self._lane_finished)
                if claimed:
                    continue
                waiters = [
                    asyncio.ensure_future(stop.wait()),
                    asyncio.ensure_future(self._wake.wait()),
                ]
                await asyncio.wait(waiters, timeout=idle, return_when=asyncio.FIRST_COMPLETED)
                for waiter in waiters:
                    waiter.cancel()
        finally:
            for lane in lanes.values():
                lane.cancel()
            await asyncio.gather(*lanes.values(), return_exceptions=True)
            # Hand back what the cancelled lanes held, so another instance need not wait for
            # the leases to expire; a call that was in flight is redelivered as a retry.
            await asyncio.shield(asyncio.to_thread(self._release_own_leases))

    def _lane_finished(self, lane: asyncio.Task) -> None:
        self._wake.set()  # the channel is free: claim its next items now
        if not lane.cancelled() and lane.exception() is not None:
            # Its items stay leased and are redelivered once the lease expires.
            log.error("delivery lane failed", exc_info=lane.exception())

    def _release_own_leases(self) -> int:
        with self.db.transaction() as session:
            return repo.release_leases(session, worker=self.worker_id)

    async def deliver_once(self) -> int:
        """One pass: lease a batch and deliver it; returns how many items were attempted."""
        items = await asyncio.to_thread(self._claim)
        # Channels in parallel, each channel in claim order: threads appear in the order the
        # tickets were released (Monday's queue), and one channel's rate limit stalls no other.
        await asyncio.gather(*(self._deliver_in_order(b) for b in by_channel(items).values()))
        return len(items)

    async def _deliver_in_order(self, items: list[OutboxItem]) -> None:
        for item in items:
            await self._deliver(item)

    def _claim(self, busy: frozenset[str] = frozenset()) -> list[OutboxItem]:
        with self.db.transaction() as session:
            return repo.claim_outbox(
                session,
                worker=self.worker_id,
                now=self.ctx.clock.now(),
                lease=self.lease,
                limit=self.batch,
                skip_channels=busy,
            )

    async def _deliver(self, item: OutboxItem) -> None:
        adapter = self.adapters.get(item.platform)
        try:
            if adapter is None:
                raise DeliveryError(f"no adapter for {item.platform}", permanent=True)
            result = await self._call(adapter, item)
        except DeliveryError as error:
            await asyncio.to_thread(self._failed, item, error)
        except Exception as error:  # an adapter bug: retry with backoff, keep the worker alive
            log.exception("delivery %s crashed", item.idempotency_key)
            await asyncio.to_thread(self._failed, item, DeliveryError(repr(error)))
        else:
            await asyncio.to_thread(self._done, item, result)

    async def _call(self, adapter: ChatAdapter, item: OutboxItem) -> dict:
        operation, key = item.operation, item.idempotency_key
        retry = item.attempts > 1  # attempts counts claims: a second claim may follow a crash
        if operation == "announce":
            text = item.payload["text"]
            posted = await adapter.announce(channel=item.channel, text=text, key=key, retry=retry)
            return {"id": posted}
        thread, view = await asyncio.to_thread(self._load, item)
        if operation == "open_thread":
            if thread is not None:  # delivered before a crash lost our "done": nothing to do
                return {"thread_id": thread.thread_id, "root_id": "", "existing": True}
            thread_id, root_id = await adapter.open_thread(
                channel=item.channel, ticket=view, key=key, retry=retry
            )
            return {"thread_id": thread_id, "root_id": root_id}
        if thread is None:
            raise DeliveryError(f"ticket {item.ticket_id} has no {item.platform} thread yet")
        ref = ThreadRef(platform=item.platform, channel=thread.channel, thread_id=thread.thread_id)
        if operation == "update_root":
            if await asyncio.to_thread(self._superseded, item):
                return {"superseded": True}
            await adapter.update_root(thread=ref, root_id=thread.root_message_id, ticket=view)
            return {}
        if operation == "post":
            return {"id": await adapter.post(thread=ref, message=view, key=key, retry=retry)}
        raise DeliveryError(f"unknown operation {operation}", permanent=True)

    def _load(self, item: OutboxItem) -> tuple[ThreadLink | None, TicketView | MessageView]:
        with self.db.transaction() as session:
            ticket = session.get(Ticket, item.ticket_id)
            if ticket is None:
                raise DeliveryError(f"ticket {item.ticket_id} is gone", permanent=True)
            thread = repo.thread_for_ticket(session, ticket.id)
            if item.operation == "post":
                message = session.get(Message, item.payload["message_id"])
                if message is None:
                    raise DeliveryError("message is gone", permanent=True)
                return thread, message_view(session, message, self.ctx)
            return thread, ticket_view(session, ticket, self.ctx, platform=item.platform)

    def _superseded(self, item: OutboxItem) -> bool:
        """A later pending root update renders a state at least as fresh: skip this one."""
        with self.db.transaction() as session:
            return repo.has_later_pending(session, item)

    def _done(self, item: OutboxItem, result: dict) -> None:
        now = self.ctx.clock.now()
        with self.db.transaction() as session:
            row = session.get(OutboxItem, item.id)
            if row is None or row.state != "pending":
                return
            row.state, row.delivered_at, row.result = "done", now, result
            row.claimed_by = row.claimed_until = None
            session.add(row)
            self._record(session, row, result)

    def _record(self, session: Session, item: OutboxItem, result: dict) -> None:
        now = self.ctx.clock.now()
        if item.operation == "open_thread" and not result.get("existing"):
            session.add(
                ThreadLink(
                    ticket_id=item.ticket_id,
                    platform=item.platform,
                    channel=item.channel,
                    thread_id=result["thread_id"],
                    root_message_id=result["root_id"],
                    created_at=now,
                )
            )
        elif item.operation == "post":
            session.add(
                MessageLink(
                    message_id=item.payload["message_id"],
                    platform=item.platform,
                    channel=item.channel,
                    external_id=result["id"],
                    created_at=now,
                )
            )

    def _failed(self, item: OutboxItem, error: DeliveryError) -> None:
        now = self.ctx.clock.now()
        with self.db.transaction() as session:
            row = session.get(OutboxItem, item.id)
            if row is None or row.state != "pending":
                return
            row.last_error = str(error)[:2000]
            row.claimed_by = row.claimed_until = None
            if error.permanent or row.attempts >= MAX_ATTEMPTS:
                row.state = "dead"
                log.error("delivery %s gave up: %s", row.idempotency_key, error)
            else:
                wait = (
                    error.retry_after
                    if error.retry_after is not None
                    else backoff_seconds(row.attempts)
                )
                row.next_attempt_at = now + timedelta(seconds=wait)
                log.warning(
                    "delivery %s failed (attempt %d), retry in %.1fs: %s",
                    row.idempotency_key,
                    row.attempts,
                    wait,
                    error,
                )
            session.add(row)
