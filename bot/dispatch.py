"""The outbox worker: leases due deliveries, calls the platform adapter, records the outcome."""

# At most one successful call per idempotency key: an item is marked done in the same
# transaction that records what the platform returned (thread link, message link). A crash
# between the platform call and that commit re-delivers after the lease expires, with the same
# key, which adapters pass to the platform where it deduplicates (Matrix transaction ids) or
# check for themselves before posting again (Slack message metadata).

import asyncio
import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session

from bot.context import Context
from bot.errors import DeliveryError
from bot.events import ThreadRef
from bot.outbox import (
    Announce,
    OpenThread,
    Posted,
    PostMessage,
    Result,
    RetryPolicy,
    RootUpdated,
    ThreadOpened,
    UpdateRoot,
    payload_of,
    result_record,
)
from bot.ports import ChatAdapter
from bot.snapshots import message_view, ticket_view
from bot.views import MessageView, TicketView
from bot.vocabulary import ChannelId, ExternalId, MessageId, OutboxState, Platform, ThreadId
from storage import repositories as repo
from storage.models import Message, MessageLink, OutboxItem, ThreadLink, Ticket

log = logging.getLogger(__name__)


def by_channel(items: list[OutboxItem]) -> dict[tuple[str, str], list[OutboxItem]]:
    """Items grouped by (platform, channel), each group in claim order."""
    groups: dict[tuple[str, str], list[OutboxItem]] = {}
    for item in items:
        groups.setdefault((item.platform, item.channel), []).append(item)
    return groups


@dataclass(frozen=True, slots=True)
class Thread:
    """A ticket's thread as the dispatcher needs it: where to post and which root to edit."""

    ref: ThreadRef
    root_message_id: str

    @property
    def thread_id(self) -> ThreadId:
        return self.ref.thread_id

    @classmethod
    def of(cls, link: ThreadLink) -> "Thread":
        ref = ThreadRef(link.platform, ChannelId(link.channel), ThreadId(link.thread_id))
        return cls(ref, link.root_message_id)


class OutboxDispatcher:
    def __init__(
        self,
        ctx: Context,
        adapters: Mapping[Platform, ChatAdapter],
        *,
        worker_id: str,
        lease: timedelta = timedelta(seconds=120),
        batch: int = 50,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.ctx = ctx
        self.db = ctx.db
        self.adapters = adapters
        self.worker_id = worker_id
        self.lease = lease
        self.batch = batch
        self.retry = retry or RetryPolicy.from_config(ctx.config.outbox)
        self._wake = asyncio.Event()
        self._lanes: dict[str, asyncio.Task[None]] = {}  # channel -> the task delivering to it

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
                await self._idle(stop, idle)
        finally:
            for lane in lanes.values():
                lane.cancel()
            await asyncio.gather(*lanes.values(), return_exceptions=True)
            # Hand back what the cancelled lanes held, so another instance need not wait for
            # the leases to expire; a call that was in flight is redelivered as a retry.
            await asyncio.shield(asyncio.to_thread(self._release_own_leases))

    async def _idle(self, stop: asyncio.Event, idle: float) -> None:
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
        await asyncio.wait(waiters, timeout=idle, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()

    def _lane_finished(self, lane: asyncio.Task[None]) -> None:
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

    async def _call(self, adapter: ChatAdapter, item: OutboxItem) -> Result:
        key, channel = item.idempotency_key, ChannelId(item.channel)
        retry = item.attempts > 1  # attempts counts claims: a second claim may follow a crash
        match payload_of(item):
            case Announce(text):
                posted = await adapter.announce(channel=channel, text=text, key=key, retry=retry)
                return Posted(posted)
            case OpenThread():
                thread, ticket = await asyncio.to_thread(self._load_ticket, item)
                if thread is not None:  # delivered before a crash lost our "done"
                    return ThreadOpened(thread.thread_id, ExternalId(""), existing=True)
                opened = await adapter.open_thread(
                    channel=channel, ticket=ticket, key=key, retry=retry
                )
                return ThreadOpened(*opened)
            case UpdateRoot():
                thread, ticket = await asyncio.to_thread(self._load_ticket, item)
                link = self._require(thread, item)
                if await asyncio.to_thread(self._superseded, item):
                    return RootUpdated(superseded=True)
                root = ExternalId(link.root_message_id)
                await adapter.update_root(thread=link.ref, root_id=root, ticket=ticket)
                return RootUpdated()
            case PostMessage(message_id):
                thread, message = await asyncio.to_thread(self._load_message, item, message_id)
                ref = self._require(thread, item).ref
                return Posted(await adapter.post(thread=ref, message=message, key=key, retry=retry))

    @staticmethod
    def _require(thread: Thread | None, item: OutboxItem) -> Thread:
        if thread is None:
            raise DeliveryError(f"ticket {item.ticket_id} has no {item.platform} thread yet")
        return thread

    def _ticket(self, session: Session, item: OutboxItem) -> tuple[Thread | None, Ticket]:
        ticket = session.get(Ticket, item.ticket_id)
        if ticket is None:
            raise DeliveryError(f"ticket {item.ticket_id} is gone", permanent=True)
        link = repo.thread_for_ticket(session, repo.row_id(ticket))
        return (Thread.of(link) if link is not None else None), ticket

    def _load_ticket(self, item: OutboxItem) -> tuple[Thread | None, TicketView]:
        with self.db.transaction() as session:
            thread, ticket = self._ticket(session, item)
            return thread, ticket_view(session, ticket, self.ctx, platform=item.platform)

    def _load_message(
        self, item: OutboxItem, message_id: MessageId
    ) -> tuple[Thread | None, MessageView]:
        with self.db.transaction() as session:
            thread, _ticket = self._ticket(session, item)
            message = session.get(Message, message_id)
            if message is None:
                raise DeliveryError("message is gone", permanent=True)
            return thread, message_view(session, message, self.ctx)

    def _superseded(self, item: OutboxItem) -> bool:
        """A later pending root update renders a state at least as fresh: skip this one."""
        with self.db.transaction() as session:
            return repo.has_later_pending(session, item)

    def _done(self, item: OutboxItem, result: Result) -> None:
        now = self.ctx.clock.now()
        with self.db.transaction() as session:
            row = session.get(OutboxItem, item.id)
            if row is None or row.state != OutboxState.PENDING:
                return
            row.state, row.delivered_at, row.result = OutboxState.DONE, now, result_record(result)
            row.claimed_by = row.claimed_until = None
            session.add(row)
            self._record(session, row, result)

    def _record(self, session: Session, item: OutboxItem, result: Result) -> None:
        now = self.ctx.clock.now()
        match result, payload_of(item):
            case ThreadOpened(thread_id, root_id, existing=False), OpenThread() if item.ticket_id:
                session.add(
                    ThreadLink(
                        ticket_id=item.ticket_id,
                        platform=item.platform,
                        channel=item.channel,
                        thread_id=thread_id,
                        root_message_id=root_id,
                        created_at=now,
                    )
                )
            case Posted(external_id), PostMessage(message_id):
                session.add(
                    MessageLink(
                        message_id=message_id,
                        platform=item.platform,
                        channel=item.channel,
                        external_id=external_id,
                        created_at=now,
                    )
                )

    def _failed(self, item: OutboxItem, error: DeliveryError) -> None:
        now = self.ctx.clock.now()
        with self.db.transaction() as session:
            row = session.get(OutboxItem, item.id)
            if row is None or row.state != OutboxState.PENDING:
                return
            row.last_error = str(error)[:2000]
            row.claimed_by = row.claimed_until = None
            if error.permanent or self.retry.exhausted(row.attempts):
                row.state = OutboxState.DEAD
                log.error("delivery %s gave up: %s", row.idempotency_key, error)
            else:
                wait = error.retry_after
                if wait is None:
                    wait = self.retry.backoff(row.attempts)
                row.next_attempt_at = now + timedelta(seconds=wait)
                log.warning(
                    "delivery %s failed (attempt %d), retry in %.1fs: %s",
                    row.idempotency_key,
                    row.attempts,
                    wait,
                    error,
                )
            session.add(row)
