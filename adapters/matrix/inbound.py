"""Matrix's receiving side: sync, a saved token, backfill, one worker per room."""

# Inbound is at-least-once: `next_batch` is saved (through `SyncTokens`) only after every event
# of that batch, and of the batches before it, was handed to the core, which dedupes by event
# id. Events are handled by one worker per room (order kept per room), so a slow relay never
# stalls the sync loop itself.

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from nio import (
    AsyncClient,
    InviteMemberEvent,
    MemoryDownloadResponse,
    MessageDirection,
    ProfileGetDisplayNameResponse,
    RoomMessagesResponse,
    SyncResponse,
    UploadFilterResponse,
)

from adapters.matrix import received, translate
from adapters.matrix.outbound import NETWORK_ERRORS
from adapters.matrix.received import RawEvent
from bot import texts
from bot.checks import chat_targets
from bot.config import Config
from bot.errors import DeliveryError
from bot.events import Agent, InboundEvent, InboundFile, ThreadMessage
from bot.ports import EventSink
from bot.vocabulary import Platform, UserId

log = logging.getLogger(__name__)

FOLLOWER_POLL_SECONDS = 0.5
MAX_PAUSE = 5.0
BACKFILL_MAX = 5000
DOWNLOAD_SECONDS = 60
MAX_DOWNLOAD = 50 * 1024 * 1024  # larger files are reported to the agent, not fetched
CORE_ATTEMPTS = 3
# Posts a notice: (room_id, content, transaction key) -> event id.
Send = Callable[..., Awaitable[str]]


class SyncTokens(Protocol):
    """Where the sync position is kept between runs (and shared by the instances)."""

    def load(self) -> str | None: ...

    def save(self, token: str) -> None: ...


def sync_filter(timeline_limit: int) -> dict[str, Any]:
    """Only what Pomoc reads: timelines and member state; no presence, typing or receipts."""
    return {
        "room": {
            "timeline": {"limit": timeline_limit},
            "state": {"lazy_load_members": False},
            "ephemeral": {"not_types": ["*"]},
            "account_data": {"not_types": ["*"]},
        },
        "presence": {"not_types": ["*"]},
        "account_data": {"not_types": ["*"]},
    }


def configured_rooms(config: Config) -> set[str]:
    """Rooms Pomoc was told about: department rooms, agent rooms and the managers' room."""
    return chat_targets(config).get(Platform.MATRIX, set()) | set(config.matrix.agent_rooms)


def _report_crash(task: asyncio.Task[None]) -> None:
    """A loop that ends other than by `stop` (e.g. the token was refused) must be seen."""
    if not task.cancelled() and task.exception() is not None:
        log.error(
            "%s stopped: Matrix events are no longer received",
            task.get_name(),
            exc_info=task.exception(),
        )


class _Batch:
    """The events of one sync response; its token may be saved once all are handled."""

    def __init__(self, token: str, count: int) -> None:
        self.token = token
        self.remaining = count
        self.done = asyncio.Event()
        if count == 0:
            self.done.set()

    def finish_one(self) -> None:
        self.remaining -= 1
        if self.remaining <= 0:
            self.done.set()


RoomQueue = asyncio.Queue[tuple[RawEvent, _Batch]]


class MatrixSync:
    """Follows the homeserver's /sync and hands allowed agents' events to the core."""

    def __init__(
        self,
        client: AsyncClient,
        *,
        config: Config,
        tokens: SyncTokens,
        on_event: EventSink,
        send: Send,
        may_sync: Callable[[], bool],
        synced: asyncio.Event,
        poll_timeout_ms: int,
        timeline_limit: int,
    ) -> None:
        self.client = client
        self.config = config
        self.matrix = config.matrix
        self.tokens = tokens
        self.on_event = on_event
        self.send = send
        self.may_sync = may_sync
        self.synced = synced
        self.poll_timeout_ms = poll_timeout_ms
        self.timeline_limit = timeline_limit
        self._tasks: list[asyncio.Task[None]] = []
        self._rooms: dict[str, RoomQueue] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._batches: asyncio.Queue[_Batch] = asyncio.Queue()
        self._warned_encrypted: set[str] = set()
        # The config is frozen: the rooms it names are worked out once. Whose members may act:
        # the agent rooms or, with neither agents nor agent rooms listed, every configured room.
        self._configured_rooms = frozenset(configured_rooms(config))
        listed = self.matrix.agents or self.matrix.agent_rooms
        self._agent_rooms = frozenset(self.matrix.agent_rooms) if listed else self._configured_rooms

    def start(self, authenticate: Callable[[], Awaitable[None]] | None) -> None:
        """`authenticate`: still to be done (the homeserver was unreachable), retried first."""
        self._tasks = [
            asyncio.create_task(self._sync_loop(authenticate), name="matrix-sync"),
            asyncio.create_task(self._commit_loop(), name="matrix-commit"),
        ]
        for task in self._tasks:
            task.add_done_callback(_report_crash)

    async def stop(self, *, drain_timeout: float) -> None:
        """Stop syncing, let the events already received be handled, save the token."""
        if not self._tasks:
            return
        sync_task, commit_task = self._tasks
        sync_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sync_task
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(drain_timeout):
                await self._batches.join()
        for task in (commit_task, *self._workers.values()):
            task.cancel()
        await asyncio.gather(commit_task, *self._workers.values(), return_exceptions=True)
        self._tasks, self._workers, self._rooms = [], {}, {}

    # -- the sync loop ------------------------------------------------------------------------

    async def _retrying(self, step: Callable[[], Awaitable[object]]) -> object:
        """Run `step` until the homeserver answers it, with capped exponential backoff."""
        pause = 0.2
        while True:
            try:
                return await step()
            except NETWORK_ERRORS as error:
                log.warning("Matrix homeserver unreachable, retry in %.1fs: %r", pause, error)
            await asyncio.sleep(pause)
            pause = min(pause * 2, MAX_PAUSE)

    async def _filter(self) -> str | dict[str, Any]:
        """The sync filter, uploaded once (a short id in every request) when the server lets us."""
        wanted = sync_filter(self.timeline_limit)
        response = await self.client.upload_filter(**wanted)
        return response.filter_id if isinstance(response, UploadFilterResponse) else wanted

    async def _sync_loop(self, authenticate: Callable[[], Awaitable[None]] | None) -> None:
        if authenticate is not None:
            await self._retrying(authenticate)
        filter_ = await self._retrying(self._filter)
        token = await asyncio.to_thread(self.tokens.load)
        first, pause = True, 0.2
        while True:
            if not self.may_sync():
                # Another instance leads and syncs; take up its saved token when we lead.
                await asyncio.sleep(FOLLOWER_POLL_SECONDS)
                token, first = await asyncio.to_thread(self.tokens.load), True
                continue
            try:
                response = await self.client.sync(
                    timeout=0 if first else self.poll_timeout_ms,
                    sync_filter=filter_,
                    since=token,
                    full_state=True if first else None,
                )
            except NETWORK_ERRORS as error:
                response = error
            if not isinstance(response, SyncResponse):
                retry_ms = getattr(response, "retry_after_ms", None)  # only on M_LIMIT_EXCEEDED
                wait = retry_ms / 1000 if retry_ms else pause
                log.warning("Matrix sync failed, retry in %.1fs: %r", wait, response)
                await asyncio.sleep(wait)
                pause = min(pause * 2, MAX_PAUSE)
                continue
            pause = 0.2
            await self._accept_invites(response)
            if token is None:  # the very first start: history is not ours to relay
                await asyncio.to_thread(self.tokens.save, response.next_batch)
            elif response.next_batch != token:
                await self._dispatch(response, since=token)
            token, first = response.next_batch, False
            self.synced.set()

    async def _accept_invites(self, response: SyncResponse) -> None:
        """Join configured rooms and rooms an agent invited us to; strangers' invites wait."""
        for room_id, info in response.rooms.invite.items():
            inviter = next(
                (
                    event.sender
                    for event in info.invite_state
                    if isinstance(event, InviteMemberEvent)
                    and event.state_key == self.client.user_id
                    and event.membership == "invite"
                ),
                None,
            )
            if room_id in self._configured_rooms or (inviter is not None and self.allowed(inviter)):
                with contextlib.suppress(*NETWORK_ERRORS):
                    await self.client.join(room_id)
            else:
                log.info("ignoring an invite to %s from %s", room_id, inviter)

    async def _dispatch(self, response: SyncResponse, *, since: str) -> None:
        items: list[tuple[str, RawEvent]] = []
        for room_id, room in response.rooms.join.items():
            events = []
            if room.timeline.limited and room.timeline.prev_batch:
                events += await self._backfill(room_id, room.timeline.prev_batch, since)
            events += [event.source for event in room.timeline.events]
            seen: set[str] = set()
            for raw in events:
                event_id = str(raw.get("event_id"))
                if event_id not in seen:
                    seen.add(event_id)
                    items.append((room_id, raw))
        # Even an empty batch is queued: its token is saved in order, after the earlier ones.
        batch = _Batch(response.next_batch, len(items))
        await self._batches.put(batch)
        for room_id, raw in items:
            self._room_queue(room_id).put_nowait((raw, batch))

    async def _backfill(self, room_id: str, start: str, since: str) -> list[RawEvent]:
        """Events a `limited` timeline left out (between our token and its prev_batch)."""
        older: list[RawEvent] = []
        while len(older) < BACKFILL_MAX:
            try:
                response = await self.client.room_messages(
                    room_id, start=start, end=since, direction=MessageDirection.back, limit=100
                )
            except NETWORK_ERRORS as error:
                log.warning("backfill of %s failed: %r", room_id, error)
                break
            if not isinstance(response, RoomMessagesResponse) or not response.chunk:
                break
            older += [event.source for event in response.chunk]
            if not response.end or response.end == start:
                break
            start = response.end
        return older[::-1]

    async def _commit_loop(self) -> None:
        while True:
            batch = await self._batches.get()
            try:
                await batch.done.wait()
                await asyncio.to_thread(self.tokens.save, batch.token)
            finally:
                self._batches.task_done()

    # -- handling, one worker per room --------------------------------------------------------

    def _room_queue(self, room_id: str) -> RoomQueue:
        if room_id not in self._rooms:
            self._rooms[room_id] = asyncio.Queue()
            self._workers[room_id] = asyncio.create_task(
                self._room_worker(room_id, self._rooms[room_id]), name=f"matrix-room-{room_id}"
            )
        return self._rooms[room_id]

    async def _room_worker(self, room_id: str, queue: RoomQueue) -> None:
        while True:
            raw, batch = await queue.get()
            try:
                await self._handle(raw, room_id=room_id)
            except Exception:  # one bad event must not stop the room
                log.exception("handling Matrix event %s failed", raw.get("event_id"))
            finally:
                batch.finish_one()
                queue.task_done()

    def allowed(self, user_id: str) -> bool:
        """Configured agents, members of the agent rooms; with neither configured, members of
        the rooms Pomoc was given. Never ourselves (our own echoes)."""
        if user_id == self.client.user_id:
            return False
        if user_id in self.matrix.agents:
            return True
        known = self.client.rooms
        return any(room in known and user_id in known[room].users for room in self._agent_rooms)

    async def _translate(self, raw: RawEvent, *, room_id: str) -> InboundEvent | None:
        """The core's event for an agent's raw event; None for everything else."""
        prefix = self.config.chat.command_prefix
        sender = raw.get("sender")
        if not isinstance(sender, str) or not self.allowed(sender):
            return None
        if received.is_encrypted(raw):
            if room_id not in self._warned_encrypted:
                self._warned_encrypted.add(room_id)
                log.error("room %s is encrypted: Pomoc cannot read it", room_id)
            agent = await self._agent(room_id, sender)
            return received.unreadable(room_id, raw, agent)
        if not received.is_relevant(raw, command_prefix=prefix):
            return None
        agent = await self._agent(room_id, sender)
        files, unavailable = await self._download(raw) if received.thread_root(raw) else ((), ())
        rich = received.text_of(raw)
        named = received.mentioned_ids(raw, rich)
        mentions = tuple([await self._agent(room_id, user) for user in named])
        resolved = received.Resolved(files, unavailable, mentions, rich)
        bot_id = self.client.user_id
        return received.to_event(
            room_id, raw, agent, resolved, command_prefix=prefix, bot_id=bot_id
        )

    async def _agent(self, room_id: str, user_id: str) -> Agent:
        """The person's own display name: nio's `user_name` adds the Matrix id to tell equal
        names apart, and no Matrix id ever reaches a shop ("Konsultant" when none is known)."""
        room = self.client.rooms.get(room_id)
        member = room.users.get(user_id) if room is not None else None
        name = member.display_name if member is not None else None
        if not name:
            with contextlib.suppress(*NETWORK_ERRORS):
                profile = await self.client.get_displayname(user_id)
                if isinstance(profile, ProfileGetDisplayNameResponse):
                    name = profile.displayname
        return Agent(
            platform=Platform.MATRIX, user_id=UserId(user_id), display_name=name or texts.AGENT
        )

    async def _download(self, raw: RawEvent) -> tuple[tuple[InboundFile, ...], tuple[str, ...]]:
        """The file of a file message, or its name among those that could not be fetched."""
        media = received.media_of(raw)
        if media is None:
            return (), ()
        url, filename, mimetype, size = media
        if size > MAX_DOWNLOAD:
            log.warning("%s not downloaded: %d bytes", url, size)
            return (), (filename,)
        try:
            async with asyncio.timeout(DOWNLOAD_SECONDS):  # nio sets no timeout on downloads
                response = await self.client.download(mxc=url)
        except NETWORK_ERRORS as error:
            response = error
        if not isinstance(response, MemoryDownloadResponse):
            log.warning("download of %s failed: %r", url, response)
            return (), (filename,)
        return (InboundFile(filename=filename, content_type=mimetype, data=response.body),), ()

    async def _handle(self, raw: RawEvent, *, room_id: str) -> None:
        event = await self._translate(raw, room_id=room_id)
        if event is None:
            return
        for attempt in range(1, CORE_ATTEMPTS + 1):
            try:
                reply = await self.on_event(event)
                break
            except Exception:  # e.g. the database is briefly away; the event is not claimed
                if attempt == CORE_ATTEMPTS:
                    raise
                log.warning("core refused %s, retrying", event.event_id, exc_info=True)
                await asyncio.sleep(0.5 * attempt)
        if reply is None:
            return
        # Shown to agents only: a room message of ours is never relayed to the shop.
        root = event.thread.thread_id if isinstance(event, ThreadMessage) else None
        root = reply.thread.thread_id if reply.thread is not None else root
        content = translate.command_reply_content(reply, root, self.config.chat.command_prefix)
        try:
            await self.send(room_id, content, key=f"reply:{event.event_id}")
        except DeliveryError as error:
            log.warning("command reply for %s not shown: %r", event.event_id, error)
