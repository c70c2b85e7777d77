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
from bot.errors import DeliveryError, Failure
from bot.events import ThreadRef
from bot.moving import away
from bot.outbox import (
    Announce,
    LeaveThread,
    OpenThread,
    Payload,
    Picture,
    Posted,
    PostMessage,
    Result,
    RetryPolicy,
    RootUpdated,
    ThreadOpened,
    UpdateRoot,
    WebhookEvent,
    chat_target,
    payload_of,
    root_digest,
)
from bot.outcomes import Outcomes, describe
from bot.ports import ChatAdapter, WebhookSender
from bot.snapshots import message_view, ticket_view
from bot.views import MessageView, PictureView, TicketView
from bot.vocabulary import ChannelId, ExternalId, MessageId, Platform, ThreadId
from storage import delivery
from storage import repositories as repo
from storage.models import BlockedChannel, Message, OutboxItem, ThreadLink, Ticket

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
    root_digest: str
    notice: str | None

    @property
    def thread_id(self) -> ThreadId:
        return self.ref.thread_id

    @classmethod
    def of(cls, link: ThreadLink) -> "Thread":
        ref = ThreadRef(link.platform, ChannelId(link.channel), ThreadId(link.thread_id))
        return cls(ref, link.root_message_id, link.root_digest, link.notice)


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
        webhooks: WebhookSender | None = None,
    ) -> None:
        self.ctx = ctx
        self.db = ctx.db
        self.adapters = adapters
        self.webhooks = webhooks
        self.worker_id = worker_id
        self.lease = lease
        self.batch = batch
        self.retry = retry or RetryPolicy.from_config(ctx.config.outbox)
        self.outcomes = Outcomes(ctx, self.retry)
        self._wake = asyncio.Event()
        self._lanes: dict[str, asyncio.Task[None]] = {}  # channel -> the task delivering to it
        self._probes: set[asyncio.Task[None]] = set()

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
                    claimed, quiet = await asyncio.to_thread(self._claim, busy=frozenset(lanes))
                except Exception:  # a database hiccup must not kill the worker
                    log.exception("outbox pass failed")
                    claimed, quiet = [], []
                for block in quiet:
                    self._probes.add(probe := asyncio.create_task(self._probe(block)))
                    probe.add_done_callback(self._probes.discard)
                for (_, channel), items in by_channel(claimed).items():
                    lanes[channel] = asyncio.create_task(self._deliver_in_order(items))
                    lanes[channel].add_done_callback(self._lane_finished)
                if claimed:
                    continue
                await self._idle(stop, idle)
        finally:
            for task in (*lanes.values(), *self._probes):
                task.cancel()
            await asyncio.gather(*lanes.values(), *self._probes, return_exceptions=True)
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
            return delivery.release_leases(session, worker=self.worker_id, now=self.ctx.clock.now())

    async def deliver_once(self) -> int:
        """One pass: lease a batch and deliver it; returns how many items were attempted."""
        items, idle = await asyncio.to_thread(self._claim)
        # Channels in parallel, each channel in claim order: threads appear in the order the
        # tickets were released (Monday's queue), and one channel's rate limit stalls no other.
        await asyncio.gather(
            *(self._deliver_in_order(b) for b in by_channel(items).values()),
            *(self._probe(block) for block in idle),
        )
        return len(items)

    async def _deliver_in_order(self, items: list[OutboxItem]) -> None:
        for item in items:
            await self._deliver(item)
        if items:
            await asyncio.to_thread(self._pace, items[-1])

    def _pace(self, last: OutboxItem) -> None:
        """Keep the channel for one pacing interval after this lane's last post, so another
        instance cannot post there sooner than the platform allows (Slack: about 1/s)."""
        interval = self.ctx.config.slack.interval if last.platform == Platform.SLACK else 0.0
        until = self.ctx.clock.now() + timedelta(seconds=interval)
        with self.db.transaction() as session:
            delivery.pace_channel(
                session, last.platform, last.channel, worker=self.worker_id, until=until
            )

    def _claim(
        self, busy: frozenset[str] = frozenset()
    ) -> tuple[list[OutboxItem], list[BlockedChannel]]:
        """Probes of blocked channels first, then due items of every other channel; and the
        blocked channels with nothing waiting, to be probed without a delivery."""
        now = self.ctx.clock.now()
        with self.db.transaction() as session:
            self.outcomes.health.reroute(session)
            probes, idle = delivery.claim_probes(
                session, worker=self.worker_id, now=now, lease=self.lease, skip_channels=busy
            )
            items = delivery.claim_outbox(
                session,
                worker=self.worker_id,
                now=now,
                lease=self.lease,
                limit=self.batch,
                skip_channels=busy | {p.channel for p in probes},
            )
            return probes + items, idle

    async def _probe(self, block: BlockedChannel) -> None:
        """Is a blocked channel with nothing waiting fixed yet? Ask its adapter, post nothing."""
        channel = None if block.channel == delivery.ALL_CHANNELS else ChannelId(block.channel)
        try:
            if block.platform != Platform.WEBHOOK:  # an endpoint is tried with its next event
                await self._adapter_for(block.platform).probe(channel=channel)
        except DeliveryError as error:
            await asyncio.to_thread(self.outcomes.probe_failed, block, error)
        except Exception as error:  # an adapter bug: keep probing, keep the worker alive
            log.exception("probe of %s %s crashed", block.platform, block.channel)
            await asyncio.to_thread(self.outcomes.probe_failed, block, DeliveryError(repr(error)))
        else:
            await asyncio.to_thread(self.outcomes.probe_worked, block)

    async def _deliver(self, item: OutboxItem) -> None:
        try:
            payload = payload_of(item)
            if isinstance(payload, WebhookEvent):
                result = await self._send_webhook(item, payload)
            else:
                result = await self._call(self._adapter_for(item.platform), item, payload)
        except DeliveryError as error:
            await asyncio.to_thread(self.outcomes.failed, item, error)
        except Exception as error:  # an adapter bug: retry with backoff, keep the worker alive
            log.exception("%s crashed", describe(item))
            await asyncio.to_thread(self.outcomes.failed, item, DeliveryError(repr(error)))
        else:
            await asyncio.to_thread(self.outcomes.done, item, payload, result)

    def _adapter_for(self, platform: Platform) -> ChatAdapter:
        adapter = self.adapters.get(platform)
        if adapter is None:  # an operator must enable it: the items wait
            raise DeliveryError(f"no adapter for {platform}", failure=Failure.PLATFORM)
        return adapter

    async def _send_webhook(self, item: OutboxItem, event: WebhookEvent) -> Result:
        if self.webhooks is None:
            raise DeliveryError("webhooks are not configured", failure=Failure.PLATFORM)
        await self.webhooks.send(endpoint=item.channel, event_id=event.event_id, body=event.body)
        return Posted(ExternalId(event.event_id))

    async def _call(self, adapter: ChatAdapter, item: OutboxItem, payload: Payload) -> Result:
        key, channel = item.idempotency_key, ChannelId(item.channel)
        retry = item.attempts > 1  # attempts counts claims: a second claim may follow a crash
        match payload:
            case Announce(text, picture, page_link):
                view = await asyncio.to_thread(self._load_picture, picture) if picture else None
                posted = await adapter.announce(
                    channel=channel, text=text, key=key, retry=retry, picture=view, link=page_link
                )
                return Posted(posted)
            case OpenThread(note):
                thread, ticket = await asyncio.to_thread(self._load_ticket, item, note)
                if thread is not None:  # delivered before a crash lost our "done"
                    return ThreadOpened(thread.thread_id, ExternalId(""), existing=True)
                opened = await adapter.open_thread(
                    channel=channel, ticket=ticket, key=key, retry=retry
                )
                return ThreadOpened(*opened, digest=root_digest(ticket), notice=note)
            case UpdateRoot():
                loaded = await asyncio.to_thread(self._load_root, item)
                if loaded is None:
                    return RootUpdated(superseded=True)
                link, ticket = loaded
                digest = root_digest(ticket)
                if digest == link.root_digest:  # what changed is not on the root
                    return RootUpdated(unchanged=True, digest=digest)
                root = ExternalId(link.root_message_id)
                await adapter.update_root(thread=link.ref, root_id=root, ticket=ticket)
                return RootUpdated(digest=digest)
            case PostMessage(message_id):
                into, message = await asyncio.to_thread(self._load_message, item, message_id)
                return Posted(
                    await adapter.post(thread=into.ref, message=message, key=key, retry=retry)
                )
            case LeaveThread(thread_id, root_id, message_id, department, by):
                ref = ThreadRef(item.platform, channel, thread_id)
                last_root, told = await asyncio.to_thread(
                    self._load_leaving, item, message_id, department=department, by=by
                )
                posted = await adapter.post(thread=ref, message=told, key=key, retry=retry)
                await adapter.update_root(thread=ref, root_id=root_id, ticket=last_root)
                return Posted(posted)
            case WebhookEvent():
                raise DeliveryError("a webhook is no chat delivery", failure=Failure.PERMANENT)

    def _require(
        self, session: Session, thread: Thread | None, ticket: Ticket, item: OutboxItem
    ) -> Thread:
        """The thread to post in. None yet: the item waits for it, unless the ticket is
        elsewhere now (moved after the item was queued; the outcome sends the item after it)."""
        if thread is not None:
            return thread
        if chat_target(session, ticket, self.ctx.config) != (item.platform, item.channel):
            raise DeliveryError(f"ticket {item.ticket_id} moved away", failure=Failure.MOVED)
        raise DeliveryError(f"ticket {item.ticket_id} has no {item.platform} thread yet")

    def _ticket(self, session: Session, item: OutboxItem) -> tuple[Thread | None, Ticket]:
        """The ticket and its thread on the item's platform (a move may have taken it to the
        other one: that thread is no place for this item)."""
        ticket = session.get(Ticket, item.ticket_id)
        if ticket is None:
            raise DeliveryError(f"ticket {item.ticket_id} is gone", failure=Failure.PERMANENT)
        link = repo.thread_on(session, repo.row_id(ticket), item.platform)
        return (Thread.of(link) if link is not None else None), ticket

    def _load_ticket(self, item: OutboxItem, note: str | None) -> tuple[Thread | None, TicketView]:
        """The ticket's thread, if it has one already, and the view of the root to open."""
        with self.db.transaction() as session:
            thread, ticket = self._ticket(session, item)
            view = ticket_view(session, ticket, self.ctx, platform=item.platform, notice=note)
            return thread, view

    def _load_root(self, item: OutboxItem) -> tuple[Thread, TicketView] | None:
        """The thread and the view its root should show; None when a later pending update
        renders a state at least as fresh (root updates collapse: this one is skipped)."""
        with self.db.transaction() as session:
            found, ticket = self._ticket(session, item)
            thread = self._require(session, found, ticket, item)
            if delivery.has_later_pending(session, item):
                return None
            # The root keeps the line it was opened with.
            notice = thread.notice
            view = ticket_view(session, ticket, self.ctx, platform=item.platform, notice=notice)
            return thread, view

    def _load_leaving(
        self, item: OutboxItem, message_id: MessageId, *, department: str, by: str
    ) -> tuple[TicketView, MessageView]:
        """The left thread's last root (the ticket as it is now, with no actions: they belong
        to the new thread) and the note that tells the thread, both saying where the ticket is
        now: a second move may have taken it further since (the history's note says so too)."""
        with self.db.transaction() as session:
            _thread, ticket = self._ticket(session, item)
            message = session.get(Message, message_id)
            if message is None:
                raise DeliveryError("message is gone", failure=Failure.PERMANENT)
            here = chat_target(session, ticket, self.ctx.config)
            message.body = notice = away(self.ctx, here, department=department, by=by)
            session.add(message)
            view = ticket_view(
                session, ticket, self.ctx, platform=item.platform, notice=notice, left=True
            )
            return view, message_view(session, message, self.ctx)

    def _load_picture(self, picture: Picture) -> PictureView | None:
        """The stored picture; None when its file is gone (the text is still worth sending)."""
        try:
            data = self.ctx.files.path(picture.storage_key).read_bytes()
        except OSError:
            log.warning("picture %s of an announcement is missing", picture.storage_key)
            return None
        return PictureView(picture.filename, picture.alt_text, picture.content_type, data)

    def _load_message(self, item: OutboxItem, message_id: MessageId) -> tuple[Thread, MessageView]:
        with self.db.transaction() as session:
            found, ticket = self._ticket(session, item)
            thread = self._require(session, found, ticket, item)
            message = session.get(Message, message_id)
            if message is None:
                raise DeliveryError("message is gone", failure=Failure.PERMANENT)
            return thread, message_view(session, message, self.ctx)
