"""Matrix's sending side: messages, edits and files, with transaction ids from outbox keys."""

import asyncio
import hashlib
import io
import logging
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

import aiohttp
from nio import AsyncClient, ErrorResponse, LocalProtocolError, RoomSendResponse, UploadResponse

from adapters.matrix import media, translate
from bot.errors import DeliveryError, Failure
from bot.events import ThreadRef
from bot.views import AttachmentView, LinkView, MessageView, PictureView, TicketView
from bot.vocabulary import ChannelId, ExternalId, ThreadId

# What the homeserver's error codes ask of us; any other code is tried again later.
FAILURES: dict[str, Failure] = {
    # Not joined, kicked, banned, no power to send, or no such room: the room's lane pauses.
    "M_FORBIDDEN": Failure.CHANNEL,
    "M_NOT_FOUND": Failure.CHANNEL,
    # The bot's access token is gone: nothing reaches this homeserver until it is fixed.
    "M_UNKNOWN_TOKEN": Failure.PLATFORM,
    "M_MISSING_TOKEN": Failure.PLATFORM,
    "M_USER_DEACTIVATED": Failure.PLATFORM,
    # A fault in the request itself: retrying the same content cannot help.
    **dict.fromkeys(
        ("M_BAD_JSON", "M_NOT_JSON", "M_TOO_LARGE", "M_INVALID_PARAM"), Failure.PERMANENT
    ),
}
NETWORK_ERRORS = (aiohttp.ClientError, OSError, TimeoutError)

log = logging.getLogger(__name__)


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
    failure = FAILURES.get(str(code), Failure.TRANSIENT)
    raise DeliveryError(f"{what}: {code} {response.message}", failure=failure, code=str(code))


class MatrixOutbound:
    def __init__(self, client: Callable[[], AsyncClient], *, language: str = "pl") -> None:
        # The client exists only while the adapter is started: ask for it at each call.
        self._client = client
        self.language = language  # of what agents read from Pomoc (bot/catalogue.py)

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

    async def _upload(self, data: bytes, *, content_type: str, filename: str) -> str:
        try:
            response, _keys = await self._client().upload(
                io.BytesIO(data), content_type=content_type, filename=filename, filesize=len(data)
            )
        except NETWORK_ERRORS as error:
            raise DeliveryError(f"Matrix unreachable: {error!r}") from error
        raise_for(response, f"upload {filename}")
        if not isinstance(response, UploadResponse):
            raise DeliveryError(f"upload {filename}: unexpected {response!r}")
        return str(response.content_uri)

    async def _image_info(self, data: bytes, filename: str) -> translate.ImageInfo | None:
        """Size and thumbnail, so clients lay the image out before loading it."""
        found = await asyncio.to_thread(media.picture, data)
        if found is None or found.thumbnail is None:
            return found
        url = await self._upload(
            found.thumbnail,
            content_type=translate.THUMBNAIL_TYPE,
            filename=f"thumb-{filename}.png",
        )
        return replace(found, thumbnail_url=url)

    async def _send_files(
        self, room_id: str, root_id: str, files: Iterable[AttachmentView], key: str
    ) -> list[str]:
        ids = []
        for number, attachment in enumerate(files):
            data = await asyncio.to_thread(attachment.read)
            mxc = await self._upload(
                data, content_type=attachment.content_type, filename=attachment.filename
            )
            image = (
                await self._image_info(data, attachment.filename) if attachment.is_image else None
            )
            content = translate.attachment_content(attachment, mxc, root_id, image)
            ids.append(await self.send(room_id, content, key=f"{key}:file{number}"))
        return ids

    async def _send_text_file(self, room_id: str, root_id: str, body: str, key: str) -> None:
        data = body.encode()
        name = translate.FULL_TEXT_NAME
        mxc = await self._upload(data, content_type="text/plain; charset=utf-8", filename=name)
        content = translate.text_file_content(name, len(data), mxc, root_id)
        await self.send(room_id, content, key=f"{key}:fulltext")

    async def open_thread(
        self, *, channel: ChannelId, ticket: TicketView, key: str, retry: bool
    ) -> tuple[ThreadId, ExternalId]:
        root = translate.root_content(ticket, self.language)
        root_id = await self.send(channel, root, key=key)
        if not translate.description_fits(ticket):  # the whole text follows, as a file
            await self._send_text_file(channel, root_id, ticket.body, key)
        await self._send_files(channel, root_id, ticket.attachments, key)
        return ThreadId(root_id), ExternalId(root_id)

    async def update_root(
        self, *, thread: ThreadRef, root_id: ExternalId, ticket: TicketView
    ) -> None:
        content = translate.root_edit_content(root_id, ticket, self.language)
        await self.send(thread.channel, content)

    async def post(
        self, *, thread: ThreadRef, message: MessageView, key: str, retry: bool
    ) -> ExternalId:
        ids = []
        if message.body.strip() or not message.attachments:
            contents = translate.message_contents(message, thread.thread_id, self.language)
            for part, content in enumerate(contents):
                part_key = key if part == 0 else f"{key}:part{part}"
                ids.append(await self.send(thread.channel, content, key=part_key))
        ids += await self._send_files(thread.channel, thread.thread_id, message.attachments, key)
        return ExternalId(ids[0])

    async def probe(self, *, channel: ChannelId | None) -> None:
        """whoami for the homeserver; for a room, that the bot is joined to it."""
        client = self._client()
        try:
            response = await (client.whoami() if channel is None else client.joined_rooms())
        except NETWORK_ERRORS as error:
            raise DeliveryError(f"Matrix unreachable: {error!r}") from error
        raise_for(response, f"probe {channel or client.homeserver}")
        if channel is not None and channel not in getattr(response, "rooms", ()):
            raise DeliveryError(
                f"not joined to {channel}", failure=FAILURES["M_FORBIDDEN"], code="M_FORBIDDEN"
            )

    async def announce(
        self,
        *,
        channel: ChannelId,
        text: str,
        key: str,
        retry: bool,
        picture: PictureView | None = None,
        link: LinkView | None = None,
    ) -> ExternalId:
        # Both events have transaction ids from the key: a retry gets the homeserver's earlier
        # events back instead of new ones (an upload repeated meanwhile is never shown).
        content = translate.notice_content(text, page_link=link)
        text_id = await self.send(channel, content, key=key)
        if picture is not None:
            await self._send_picture(channel, picture, key=f"{key}:picture")
        return ExternalId(text_id)

    async def _send_picture(self, room_id: str, picture: PictureView, *, key: str) -> None:
        """The picture as an `m.image`. A transient failure is raised, so the outbox tries
        again (the text is not posted twice); any other leaves the text alone."""
        try:
            data = picture.data
            mxc = await self._upload(
                data, content_type=picture.content_type, filename=picture.filename
            )
            image = await self._image_info(data, picture.filename)
            await self.send(room_id, translate.picture_content(picture, mxc, image), key=key)
        except DeliveryError as error:
            if error.failure == Failure.TRANSIENT:
                raise
            log.warning("picture %s not sent to %s: %s", picture.filename, room_id, error)
