"""The Matrix adapter: lifecycle and outbound sends (transaction ids from outbox keys).

The inbound side (sync, saved token, backfill, per-room workers) lives in `sync.py`.
"""

import asyncio
import hashlib
import io
import logging
from collections.abc import Callable, Iterable

from nio import (
    AsyncClient,
    AsyncClientConfig,
    ErrorResponse,
    LocalProtocolError,
    LoginResponse,
    RoomSendResponse,
    UploadResponse,
    WhoamiResponse,
)

from adapters.base import EventSink
from adapters.matrix import translate
from adapters.matrix.sync import NETWORK_ERRORS, MatrixSync
from bot.clock import Clock
from bot.config import Config, Secrets
from bot.errors import ConfigError, DeliveryError
from bot.events import ThreadRef
from bot.views import AttachmentView, MessageView, TicketView
from storage.db import Database

log = logging.getLogger(__name__)

# A fault in the request itself: retrying the same content cannot help.
PERMANENT_ERRORS = frozenset({"M_BAD_JSON", "M_NOT_JSON", "M_TOO_LARGE", "M_INVALID_PARAM"})


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
        timeline_limit: int = 50,
    ) -> None:
        self.config = config
        self.matrix = config.matrix
        self.secrets = secrets
        self.db = db
        self.clock = clock
        self.poll_timeout_ms = poll_timeout_ms
        # Per room and sync; a longer gap (downtime) is backfilled with /messages.
        self.timeline_limit = timeline_limit
        self.client: AsyncClient | None = None
        self.user_id = self.matrix.user_id
        self.synced = asyncio.Event()  # set after the first sync of this start
        # With several instances only the leader syncs (the runtime sets this); all can send.
        self.may_sync: Callable[[], bool] = lambda: True
        self._sync: MatrixSync | None = None

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
                raise ConfigError(f"POMOC_MATRIX_ACCESS_TOKEN refused: {who}")
            client.user_id = who.user_id
            client.device_id = who.device_id or self.matrix.device_id
        elif self.secrets.matrix_password:
            response = await client.login(self.secrets.matrix_password, device_name="Pomoc")
            if not isinstance(response, LoginResponse):
                raise ConfigError(f"Matrix login as {self.matrix.user_id} failed: {response}")
        else:
            raise ConfigError("set POMOC_MATRIX_ACCESS_TOKEN or POMOC_MATRIX_PASSWORD")
        self.user_id = client.user_id

    async def start(self, on_event: EventSink) -> None:
        """Connect; an unreachable homeserver is retried in the background, a refusal raises."""
        self.synced.clear()
        self.client = self._new_client()
        # With a token, sends work at once; our identity is confirmed before the first sync.
        self.client.access_token = self.secrets.matrix_access_token or ""
        pending = None
        try:
            await self._authenticate()
        except NETWORK_ERRORS as error:
            log.warning("Matrix homeserver unreachable at start, retrying: %r", error)
            pending = self._authenticate
        except BaseException:
            await self.client.close()
            self.client = None
            raise
        self._sync = MatrixSync(
            self.client,
            config=self.config,
            db=self.db,
            clock=self.clock,
            on_event=on_event,
            send=self._send,
            may_sync=lambda: self.may_sync(),  # read at each turn: the runtime sets it later
            synced=self.synced,
            poll_timeout_ms=self.poll_timeout_ms,
            timeline_limit=self.timeline_limit,
        )
        self._sync.start(pending)

    async def stop(self, *, drain_timeout: float = 10) -> None:
        """Stop syncing, let the events already received be handled, save the token."""
        if self._sync is not None:
            await self._sync.stop(drain_timeout=drain_timeout)
            self._sync = None
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

    async def announce(self, *, channel: str, text: str, key: str, retry: bool) -> str:
        return await self._send(channel, translate.notice_content(text), key=key)
