"""The one seam between the core and a chat platform: what an adapter must offer the core."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from bot.events import CommandReply, InboundEvent, ThreadRef
from bot.views import LinkView, MessageView, PictureView, TicketView
from bot.vocabulary import ChannelId, ExternalId, Platform, ThreadId

# An adapter turns domain snapshots into platform messages (outbound, called by the outbox
# dispatcher) and platform events into `bot.events` dataclasses (inbound, handed to the sink).
# Every outbound call carries an idempotency `key`: the adapter uses it where the platform can
# (Matrix transaction ids) and the dispatcher guarantees at most one successful call per key.
# `retry` is true when an earlier attempt with the same key may have reached the platform (it
# failed or its worker died before recording success): an adapter whose platform cannot
# deduplicate by key looks for its own earlier copy (e.g. Slack message metadata) first.
# Failures are raised as `bot.errors.DeliveryError`.

EventSink = Callable[[InboundEvent], Awaitable[CommandReply | None]]


@dataclass(frozen=True, slots=True)
class QueuedEvent:
    """An inbound event kept before it was answered (see `EventQueue`)."""

    id: int
    kind: str
    event_id: str
    payload: dict[str, Any]
    attempts: int


class EventQueue(Protocol):
    """Where an adapter keeps inbound events it must answer before handling them (Slack's 3 s)."""

    def put(self, *, event_id: str, kind: str, channel: str, payload: dict[str, Any]) -> bool:
        """Keep the event; False when it is kept already (the platform sent it again)."""

    def claim(
        self, *, lease: timedelta, limit: int = 20, event_id: str | None = None
    ) -> list[QueuedEvent]:
        """Lease due events, the oldest pending one of each channel only (or just `event_id`)."""

    def done(self, event: QueuedEvent) -> None: ...

    def failed(self, event: QueuedEvent, *, error: str, retry_in: float | None) -> None:
        """Try again after `retry_in` seconds; None gives it up (dead, for an operator)."""


class WebhookSender(Protocol):
    """Signed HTTP events to the shop platform's backend (`[webhooks]`), through the outbox."""

    async def send(self, *, endpoint: str, event_id: str, body: dict[str, Any]) -> None:
        """POST one event to the named endpoint; raise DeliveryError when it was not accepted."""


class ChatAdapter(Protocol):
    @property
    def platform(self) -> Platform: ...

    async def start(self, on_event: EventSink) -> None:
        """Connect and begin passing inbound events to `on_event`."""

    async def stop(self) -> None: ...

    async def open_thread(
        self, *, channel: ChannelId, ticket: TicketView, key: str, retry: bool
    ) -> tuple[ThreadId, ExternalId]:
        """Post the ticket's root message; return (thread_id, root_message_id)."""

    async def update_root(
        self, *, thread: ThreadRef, root_id: ExternalId, ticket: TicketView
    ) -> None:
        """Edit the root message in place to show the current status, assignee and priority."""

    async def post(
        self, *, thread: ThreadRef, message: MessageView, key: str, retry: bool
    ) -> ExternalId:
        """Post into the thread; return the platform's message id."""

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
        """Post a standalone message (SLA alert, digest) in a channel or room, ending with
        `link` as a clickable link, and `picture` after it; return the text's id. The text is
        posted first, so a picture that cannot be uploaded never costs it; a retry posts neither
        a second time."""

    async def probe(self, *, channel: ChannelId | None) -> None:
        """Whether Pomoc could post in `channel` now (None: on the platform at all), without
        posting anything; raise a classified DeliveryError when it could not."""
