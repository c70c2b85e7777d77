"""Matrix's sending side: messages, edits and files, with transaction ids from outbox keys."""

import asyncio
import hashlib
import io
from collections.abc import Callable, Iterable
from typing import Any

import aiohttp
from nio import AsyncClient, ErrorResponse, LocalProtocolError, RoomSendResponse, UploadResponse

from adapters.matrix import translate
from bot.errors import DeliveryError
from bot.events import ThreadRef
from bot.views import AttachmentView, MessageView, TicketView
from bot.vocabulary import ChannelId, ExternalId, ThreadId

# A fault in the request itself: retrying the same content cannot help.
PERMANENT_ERRORS = frozenset({"M_BAD_JSON", "M_NOT_JSON", "M_TOO_LARGE", "M_INVALID_PARAM"})
NETWORK_ERRORS = (aiohttp.ClientError, OSError, TimeoutError)


def transaction_id(key: str) -> str:
    """A Matrix transaction id from an outbox key: the same key -> the same event on retry."""
    return "pomoc-" + hashlib.sha256(key.encode()).hexdigest()[:40]


def raise_for(response: object, what: str) -> None:
    """nio returns errors as values: turn them into the core's DeliveryError, once, here."""
    if not isinstance(response, ErrorResponse):
        return
    code = response.status_code
    if code in ("M_LIMIT_EXCEEDED", 429):
        retry_after = (response.retry_after_ms or 1000) / 1000
        raise DeliveryError(f"{what}: rate limited", retry_after=retry_after)
    raise DeliveryError(f"{what}: {code} {response.message}", permanent=code in PERMANENT_ERRORS)


class MatrixOutbound:
    def __init__(self, client: Callable[[], AsyncClient]) -> None:
        # The client exists only while the adapter is started: ask for it at each call.
        self._client = client

    async def send(self, room_id: str, content: dict[str, Any], *, key: str | None = None) -> str:
        tx_id = transaction_id(key) if key else None
        try:
            response = await self._client().room_send(
                room_id, "m.room.message", content, tx_id=tx_id
            )
        except (*NETWORK_ERRORS, LocalProtocolError) as error:
            raise DeliveryError(f"Matrix unreachable: {error!r}") from error
        raise_for(response, f"send to {room_id}")
        if not isinstance(response, RoomSendResponse):
            raise DeliveryError(f"send to {room_id}: unexpected {response!r}")
        return str(response.event_id)

    async def _upload(self, attachment: AttachmentView) -> str:
        data = await asyncio.to_thread(attachment.read)
        try:
            response, _keys = await self._client().upload(
                io.BytesIO(data),
                content_type=attachment.content_type,
                filename=attachment.filename,
                filesize=len(data),
            )
        except NETWORK_ERRORS as error:
            raise DeliveryError(f"Matrix unreachable: {error!r}") from error
        raise_for(response, f"upload {attachment.filename}")
        if not isinstance(response, UploadResponse):
            raise DeliveryError(f"upload {attachment.filename}: unexpected {response!r}")
        return str(response.content_uri)

    async def _send_files(
        self, room_id: str, root_id: str, files: Iterable[AttachmentView], key: str
    ) -> list[str]:
        ids = []
        for number, attachment in enumerate(files):
            mxc = await self._upload(attachment)
            content = translate.attachment_content(attachment, mxc, root_id)
            ids.append(await self.send(room_id, content, key=f"{key}:file{number}"))
        return ids

    async def open_thread(
        self, *, channel: ChannelId, ticket: TicketView, key: str, retry: bool
    ) -> tuple[ThreadId, ExternalId]:
        root_id = await self.send(channel, translate.root_content(ticket), key=key)
        await self._send_files(channel, root_id, ticket.attachments, key)
        return ThreadId(root_id), ExternalId(root_id)

    async def update_root(
        self, *, thread: ThreadRef, root_id: ExternalId, ticket: TicketView
    ) -> None:
        await self.send(thread.channel, translate.root_edit_content(root_id, ticket))

    async def post(
        self, *, thread: ThreadRef, message: MessageView, key: str, retry: bool
    ) -> ExternalId:
        ids = []
        if message.body.strip() or not message.attachments:
            content = translate.message_content(message, thread.thread_id)
            ids.append(await self.send(thread.channel, content, key=key))
        ids += await self._send_files(thread.channel, thread.thread_id, message.attachments, key)
        return ExternalId(ids[0])

    async def announce(self, *, channel: ChannelId, text: str, key: str, retry: bool) -> ExternalId:
        return ExternalId(await self.send(channel, translate.notice_content(text), key=key))
