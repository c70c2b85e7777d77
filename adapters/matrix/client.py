"""The Matrix adapter's I/O: outbound sends with transaction ids, inbound sync with a saved token.

Inbound is at-least-once: `next_batch` is saved (table `syncstate`) only after every event of
that batch, and of the batches before it, was handed to the core, which dedupes by event id.
Events are handled by one worker per room (order kept per room), so a slow relay never stalls
the sync loop itself.
"""

import asyncio
import contextlib
import hashlib
import io
import logging
from collections.abc import Callable, Iterable

import aiohttp
from nio import (
    AsyncClient,
    AsyncClientConfig,
    DownloadError,
    ErrorResponse,
    LocalProtocolError,
    LoginResponse,
    MegolmEvent,
    MessageDirection,
    ProfileGetDisplayNameResponse,
    RoomMessagesResponse,
    RoomSendResponse,
    SyncResponse,
    UploadResponse,
    WhoamiResponse,
)

from adapters.base import EventSink
from adapters.matrix import translate
from bot.clock import Clock
from bot.config import Config, Secrets
from bot.errors import DeliveryError
from bot.events import Agent, InboundFile, ThreadMessage, ThreadRef
from bot.views import AttachmentView, MessageView, TicketView
from storage import repositories as repo
from storage.db import Database

log = logging.getLogger(__name__)

SYNC_KEY = "matrix.next_batch"
FOLLOWER_POLL_SECONDS = 0.5
TIMELINE_LIMIT = 50
SYNC_FILTER = {
    "room": {
        "timeline": {"limit": TIMELINE_LIMIT},
        "state": {"lazy_load_members": False},
        "ephemeral": {"not_types": ["*"]},
        "account_data": {"not_types": ["*"]},
    },
    "presence": {"not_types": ["*"]},
    "account_data": {"not_types": ["*"]},
}
# A fault in the request itself: retrying the same content cannot help.
PERMANENT_ERRORS = frozenset({"M_BAD_JSON", "M_NOT_JSON", "M_TOO_LARGE", "M_INVALID_PARAM"})
NETWORK_ERRORS = (aiohttp.ClientError, OSError, TimeoutError)


def transaction_id(key: str) -> str:
    """A Matrix transaction id from an outbox key: the same key -> the same event on retry."""
    return "pomoc-" + hashlib.sha256(key.encode()).hexdigest()[:40]


def _raise_for(response: object, what: str) -> None:
    if not isinstance(response, ErrorResponse):
        return
    code = response.status_code
    if code in ("M_LIMIT_EXCEEDED", 429):
        retry_after = (response.retry_after_ms or 1000) / 1000
        raise DeliveryError(f"{what}: rate limited", retry_after=retry_after)
    raise DeliveryError(f"{what}: {code} {response.message}", permanent=code in PERMANENT_ERRORS)


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


class MatrixAdapter:
    platform = "matrix"

    def __init__(
        self,
        *,
        config: Config,
        secrets: Secrets,
        db: Database,
        clock: Clock,
        poll_timeout_ms: int = 10_000,
    ) -> None:
        self.config = config
        self.matrix = config.matrix
        self.secrets = secrets
        self.db = db
        self.clock = clock
        self.poll_timeout_ms = poll_timeout_ms
        self.client: AsyncClient | None = None
        self.user_id = self.matrix.user_id
        self._on_event: EventSink | None = None
        self._tasks: list[asyncio.Task] = []
        self._rooms: dict[str, asyncio.Queue] = {}
        self._workers: dict[str, asyncio.Task] = {}
        self._batches: asyncio.Queue[_Batch] = asyncio.Queue()
        self._warned_encrypted: set[str] = set()
        self.synced = asyncio.Event()  # set after the first sync of this start
        # With several instances only the leader syncs (the runtime sets this); all can send.
        self.may_sync: Callable[[], bool] = lambda: True

    # -- lifecycle ----------------------------------------------------------------------------

    def _new_client(self) -> AsyncClient:
        client_config = AsyncClientConfig(
            max_limit_exceeded=0, max_timeouts=0, request_timeout=30, encryption_enabled=False
        )
        return AsyncClient(
            self.matrix.homeserver,
            self.matrix.user_id,
            device_id=self.matrix.device_id,
            config=client_config,
        )

    async def _authenticate(self) -> None:
        """Learn (token) or get (password) our identity before any sync; refusals raise."""
        client = self._connected()
        if self.secrets.matrix_access_token:
            client.access_token = self.secrets.matrix_access_token
            who = await client.whoami()
            if not isinstance(who, WhoamiResponse):
                raise RuntimeError(f"Matrix access token refused: {who}")
            client.user_id = who.user_id
            client.device_id = who.device_id or self.matrix.device_id
        elif self.secrets.matrix_password:
            response = await client.login(self.secrets.matrix_password, device_name="Pomoc")
            if not isinstance(response, LoginResponse):
                raise RuntimeError(f"Matrix login as {self.matrix.user_id} failed: {response}")
        else:
            raise RuntimeError("set POMOC_MATRIX_ACCESS_TOKEN or POMOC_MATRIX_PASSWORD")
        self.user_id = client.user_id

    async def start(self, on_event: EventSink) -> None:
        """Connect; an unreachable homeserver is retried in the background, a refusal raises."""
        self._on_event = on_event
        self.synced.clear()
        self.client = self._new_client()
        # With a token, sends work at once; our identity is confirmed before the first sync.
        self.client.access_token = self.secrets.matrix_access_token or ""
        authenticated = True
        try:
            await self._authenticate()
        except NETWORK_ERRORS as error:
            log.warning("Matrix homeserver unreachable at start, retrying: %r", error)
            authenticated = False
        except BaseException:
            await self.client.close()
            self.client = None
            raise
        self._batches = asyncio.Queue()
        self._tasks = [
            asyncio.create_task(self._sync_loop(authenticated), name="matrix-sync"),
            asyncio.create_task(self._commit_loop(), name="matrix-commit"),
        ]

    async def stop(self, *, drain_timeout: float = 10) -> None:
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
        if self.client is not None:
            await self.client.close()
            self.client = None

    # -- outbound -----------------------------------------------------------------------------

    async def _send(self, room_id: str, content: dict, *, key: str | None = None) -> str:
        tx_id = transaction_id(key) if key else None
        try:
            response = await self._connected().room_send(
                room_id, "m.room.message", content, tx_id=tx_id
            )
        except (*NETWORK_ERRORS, LocalProtocolError) as error:
            raise DeliveryError(f"Matrix unreachable: {error!r}") from error
        _raise_for(response, f"send to {room_id}")
        if not isinstance(response, RoomSendResponse):
            raise DeliveryError(f"send to {room_id}: unexpected {response!r}")
        return response.event_id

    def _connected(self) -> AsyncClient:
        if self.client is None:
            raise DeliveryError("Matrix adapter is not started")
        return self.client

    async def _upload(self, attachment: AttachmentView) -> str:
        data = await asyncio.to_thread(attachment.read)
        try:
            response, _keys = await self._connected().upload(
                io.BytesIO(data),
                content_type=attachment.content_type,
                filename=attachment.filename,
                filesize=len(data),
            )
        except NETWORK_ERRORS as error:
            raise DeliveryError(f"Matrix unreachable: {error!r}") from error
        _raise_for(response, f"upload {attachment.filename}")
        if not isinstance(response, UploadResponse):
            raise DeliveryError(f"upload {attachment.filename}: unexpected {response!r}")
        return response.content_uri

    async def _send_files(
        self, room_id: str, root_id: str, files: Iterable[AttachmentView], key: str
    ) -> list[str]:
        ids = []
        for number, attachment in enumerate(files):
            mxc = await self._upload(attachment)
            content = translate.attachment_content(attachment, mxc, root_id)
            ids.append(await self._send(room_id, content, key=f"{key}:file{number}"))
        return ids

    async def open_thread(
        self, *, channel: str, ticket: TicketView, key: str, retry: bool
    ) -> tuple[str, str]:
        root_id = await self._send(channel, translate.root_content(ticket), key=key)
        await self._send_files(channel, root_id, ticket.attachments, key)
        return root_id, root_id

    async def update_root(self, *, thread: ThreadRef, root_id: str, ticket: TicketView) -> None:
        await self._send(thread.channel, translate.root_edit_content(root_id, ticket))

    async def post(self, *, thread: ThreadRef, message: MessageView, key: str, retry: bool) -> str:
        ids = []
        if message.body.strip() or not message.attachments:
            content = translate.message_content(message, thread.thread_id)
            ids.append(await self._send(thread.channel, content, key=key))
        ids += await self._send_files(thread.channel, thread.thread_id, message.attachments, key)
        return ids[0]

    async def edit(self, *, thread: ThreadRef, message_id: str, message: MessageView) -> None:
        await self._send(thread.channel, translate.edit_content(message_id, message))

    async def delete(self, *, thread: ThreadRef, message_id: str) -> None:
        try:
            response = await self._connected().room_redact(thread.channel, message_id)
        except NETWORK_ERRORS as error:
            raise DeliveryError(f"Matrix unreachable: {error!r}") from error
        _raise_for(response, f"redact {message_id}")

    async def announce(self, *, channel: str, text: str, key: str, retry: bool) -> str:
        return await self._send(channel, translate.notice_content(text), key=key)

    # -- inbound: sync ------------------------------------------------------------------------

    def _load_token(self) -> str | None:
        with self.db.transaction() as session:
            return repo.get_sync_state(session, SYNC_KEY)

    def _save_token(self, token: str) -> None:
        with self.db.transaction() as session:
            repo.set_sync_state(session, SYNC_KEY, token, self.clock.now())

    def configured_rooms(self) -> set[str]:
        rooms = {
            dept.channel
            for dept in self.config.departments.values()
            if dept.platform == "matrix" and dept.channel
        }
        rooms |= set(self.matrix.agent_rooms)
        if self.config.managers.platform == "matrix" and self.config.managers.channel:
            rooms.add(self.config.managers.channel)
        return rooms

    async def _sync_loop(self, authenticated: bool) -> None:
        client = self._connected()
        pause = 0.2
        while not authenticated:
            await asyncio.sleep(pause)
            pause = min(pause * 2, 5.0)
            try:
                await self._authenticate()
                authenticated = True
            except NETWORK_ERRORS as error:
                log.warning("Matrix homeserver unreachable, retrying: %r", error)
        token = await asyncio.to_thread(self._load_token)
        first, pause = True, 0.2
        while True:
            if not self.may_sync():
                # Another instance leads and syncs; take up its saved token when we lead.
                await asyncio.sleep(FOLLOWER_POLL_SECONDS)
                token, first = await asyncio.to_thread(self._load_token), True
                continue
            try:
                response = await client.sync(
                    timeout=0 if first else self.poll_timeout_ms,
                    sync_filter=SYNC_FILTER,
                    since=token,
                    full_state=True if first else None,
                )
            except NETWORK_ERRORS as error:
                log.warning("Matrix sync failed, retry in %.1fs: %r", pause, error)
                await asyncio.sleep(pause)
                pause = min(pause * 2, 5.0)
                continue
            if not isinstance(response, SyncResponse):
                log.warning("Matrix sync refused, retry in %.1fs: %s", pause, response)
                await asyncio.sleep(pause)
                pause = min(pause * 2, 5.0)
                continue
            pause = 0.2
            await self._accept_invites(response)
            if token is None:  # the very first start: history is not ours to relay
                await asyncio.to_thread(self._save_token, response.next_batch)
            else:
                await self._dispatch(response, since=token)
            token, first = response.next_batch, False
            self.synced.set()

    async def _accept_invites(self, response: SyncResponse) -> None:
        wanted = self.configured_rooms()
        for room_id in response.rooms.invite:
            if room_id in wanted:
                with contextlib.suppress(*NETWORK_ERRORS):
                    await self._connected().join(room_id)
            else:
                log.info("ignoring an invite to %s (not a configured room)", room_id)

    async def _dispatch(self, response: SyncResponse, *, since: str) -> None:
        items: list[tuple[str, dict]] = []
        for room_id, room in response.rooms.join.items():
            events = []
            if room.timeline.limited and room.timeline.prev_batch:
                events += await self._backfill(room_id, room.timeline.prev_batch, since)
            for event in room.timeline.events:
                if isinstance(event, MegolmEvent) and room_id not in self._warned_encrypted:
                    self._warned_encrypted.add(room_id)
                    log.error("room %s is encrypted: Pomoc cannot read it", room_id)
                events.append(event.source)
            seen: set[str] = set()
            for raw in events:
                event_id = raw.get("event_id")
                if event_id not in seen:
                    seen.add(event_id)
                    items.append((room_id, raw))
        if not items:
            return
        batch = _Batch(response.next_batch, len(items))
        await self._batches.put(batch)
        for room_id, raw in items:
            self._room_queue(room_id).put_nowait((raw, batch))

    async def _backfill(self, room_id: str, start: str, since: str) -> list[dict]:
        """Events a `limited` timeline left out (between our token and its prev_batch)."""
        older: list[dict] = []
        while len(older) < 5000:
            try:
                response = await self._connected().room_messages(
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
                await asyncio.to_thread(self._save_token, batch.token)
            finally:
                self._batches.task_done()

    # -- inbound: handling --------------------------------------------------------------------

    def _room_queue(self, room_id: str) -> asyncio.Queue:
        if room_id not in self._rooms:
            self._rooms[room_id] = asyncio.Queue()
            self._workers[room_id] = asyncio.create_task(
                self._room_worker(room_id, self._rooms[room_id]), name=f"matrix-room-{room_id}"
            )
        return self._rooms[room_id]

    async def _room_worker(self, room_id: str, queue: asyncio.Queue) -> None:
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
        if user_id == self.user_id:
            return False
        if user_id in self.matrix.agents:
            return True
        if self.matrix.agents or self.matrix.agent_rooms:
            rooms: Iterable[str] = self.matrix.agent_rooms
        else:
            rooms = self.configured_rooms()
        known = self._connected().rooms
        return any(room in known and user_id in known[room].users for room in rooms)

    async def _agent(self, room_id: str, user_id: str) -> Agent:
        client = self._connected()
        room = client.rooms.get(room_id)
        name = room.user_name(user_id) if room is not None else None
        if not name:
            with contextlib.suppress(*NETWORK_ERRORS):
                profile = await client.get_displayname(user_id)
                if isinstance(profile, ProfileGetDisplayNameResponse):
                    name = profile.displayname
        return Agent(platform=self.platform, user_id=user_id, display_name=name or user_id)

    async def _download(self, raw: dict) -> tuple[InboundFile, ...]:
        media = translate.media_of(raw)
        if media is None:
            return ()
        url, filename, mimetype = media
        response = await self._connected().download(mxc=url)
        if isinstance(response, DownloadError) or not hasattr(response, "body"):
            log.warning("download of %s failed: %s", url, response)
            return ()
        return (InboundFile(filename=filename, content_type=mimetype, data=response.body),)

    async def _handle(self, raw: dict, *, room_id: str) -> None:
        sender = raw.get("sender")
        if not isinstance(sender, str) or not translate.is_relevant(raw):
            return
        if not self.allowed(sender):
            return
        agent = await self._agent(room_id, sender)
        files = await self._download(raw) if translate.thread_root(raw) else ()
        event = translate.to_event(room_id, raw, agent, files)
        if event is None or self._on_event is None:
            return
        for attempt in range(3):
            try:
                reply = await self._on_event(event)
                break
            except Exception:
                if attempt == 2:
                    raise
                log.warning("core refused %s, retrying", event.event_id, exc_info=True)
                await asyncio.sleep(0.5 * (attempt + 1))
        if reply is not None and isinstance(event, ThreadMessage):
            content = translate.command_reply_content(reply, event.thread.thread_id)
            try:
                await self._send(room_id, content, key=f"reply:{event.event_id}")
            except DeliveryError as error:
                log.warning("command reply for %s not shown: %s", event.event_id, error)
