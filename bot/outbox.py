"""The outbox's one home: typed payloads and results, the retry policy, and enqueueing."""

# A state change and the deliveries it causes are written in one transaction (the enqueue
# helpers below take the caller's session); the dispatcher delivers them later, at least once,
# with at most one successful platform call per idempotency key.

import hashlib
import random
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.config import Config, DepartmentConfig, ManagersConfig, OutboxConfig
from bot.views import LinkView, TicketView
from bot.vocabulary import ChannelId, ExternalId, MessageId, Operation, Platform, ThreadId
from storage import delivery
from storage import repositories as repo
from storage.models import Message, OutboxItem, Ticket

# -- payloads: what an item asks for -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OpenThread:
    """Post the ticket's root message; later items of the ticket go into its thread."""

    note: str | None = None  # a line for agents on the root, e.g. why it is on a fallback route


@dataclass(frozen=True, slots=True)
class PostMessage:
    message_id: MessageId


@dataclass(frozen=True, slots=True)
class UpdateRoot:
    """Re-render the root as the ticket is at delivery time."""


@dataclass(frozen=True, slots=True)
class LeaveThread:
    """The ticket moved to `department` (by `by`): post the note `message_id` into the thread it
    left and re-render that root with it. Where the ticket is now is filled in at delivery (a
    second move may have taken it further). The thread is named here because it is no longer
    the ticket's (`storage.models.FormerThread`)."""

    thread_id: ThreadId
    root_id: ExternalId
    message_id: MessageId
    department: str
    by: str


@dataclass(frozen=True, slots=True)
class Picture:
    """An image for an announcement, stored in `ctx.files` before the item is queued: the item
    names its content-addressed key, and the file stays while the item may still be delivered
    (`storage.jobs.storage_key_in_use`)."""

    storage_key: str
    filename: str  # unique per announcement: a retried Slack upload finds its copy by it
    alt_text: str
    content_type: str = "image/png"


@dataclass(frozen=True, slots=True)
class Announce:
    """A standalone message in a channel (SLA alert, digest, weekly report), tied to no ticket."""

    text: str
    picture: Picture | None = None
    link: LinkView | None = None  # shown after the text, clickable


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """One event for the shop platform's backend, to the endpoint the item's channel names."""

    event_id: str
    body: dict[str, Any]  # the JSON the endpoint receives


Payload = OpenThread | PostMessage | UpdateRoot | LeaveThread | Announce | WebhookEvent


def payload_of(item: OutboxItem) -> Payload:
    data = item.payload
    match item.operation:
        case Operation.OPEN_THREAD:
            note = data.get("note")
            return OpenThread(note=str(note) if note else None)
        case Operation.POST:
            return PostMessage(MessageId(int(data["message_id"])))
        case Operation.UPDATE_ROOT:
            return UpdateRoot()
        case Operation.LEAVE_THREAD:
            return LeaveThread(
                ThreadId(str(data["thread_id"])),
                ExternalId(str(data["root_id"])),
                MessageId(int(data["message_id"])),
                str(data["department"]),
                str(data["by"]),
            )
        case Operation.ANNOUNCE:
            picture, link = data.get("picture"), data.get("link")
            return Announce(
                str(data["text"]),
                Picture(**picture) if picture else None,
                LinkView(**link) if link else None,
            )
        case Operation.WEBHOOK:
            return WebhookEvent(str(data["event_id"]), dict(data["body"]))
    raise ValueError(f"unknown outbox operation {item.operation!r}")


def _stored(payload: Payload) -> tuple[Operation, dict[str, Any]]:
    match payload:
        case OpenThread(note):
            return Operation.OPEN_THREAD, {"note": note} if note else {}
        case PostMessage(message_id):
            return Operation.POST, {"message_id": message_id}
        case UpdateRoot():
            return Operation.UPDATE_ROOT, {}
        case LeaveThread(thread_id, root_id, message_id, department, by):
            data = {"thread_id": thread_id, "root_id": root_id, "message_id": message_id}
            return Operation.LEAVE_THREAD, {**data, "department": department, "by": by}
        case Announce(text, picture, link):
            stored: dict[str, Any] = {"text": text}
            if picture is not None:
                stored["picture"] = asdict(picture)
            if link is not None:
                stored["link"] = asdict(link)
            return Operation.ANNOUNCE, stored
        case WebhookEvent(event_id, body):
            return Operation.WEBHOOK, {"event_id": event_id, "body": body}


# -- results: what the platform answered ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ThreadOpened:
    thread_id: ThreadId
    root_id: ExternalId
    existing: bool = False  # delivered before a crash lost our "done": nothing new to record
    digest: str = ""  # what the root shows (see `root_digest`)
    notice: str | None = None


@dataclass(frozen=True, slots=True)
class Posted:
    message_id: ExternalId


@dataclass(frozen=True, slots=True)
class RootUpdated:
    superseded: bool = False  # a later pending update renders a fresher state: this one skipped
    unchanged: bool = False  # the root already shows this state: no edit was made
    digest: str = ""


Result = ThreadOpened | Posted | RootUpdated


def result_record(result: Result) -> dict[str, Any]:
    """What the item's `result` column keeps (for operators reading the outbox)."""
    match result:
        case ThreadOpened(thread_id, root_id, existing):
            return {"thread_id": thread_id, "root_id": root_id, "existing": existing}
        case Posted(message_id):
            return {"id": message_id}
        case RootUpdated(superseded, unchanged):
            return {"superseded": superseded, "unchanged": unchanged}


def root_digest(view: TicketView) -> str:
    """What a root message shows, condensed: equal digests render the same root."""
    return hashlib.sha256(repr(view).encode()).hexdigest()[:32]


# -- retries ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with full jitter, capped; an item gives up after `max_attempts`."""

    max_attempts: int = 20
    max_backoff: float = 600.0
    min_backoff: float = 0.5
    probe_first: float = 5.0
    probe_max: float = 300.0

    @classmethod
    def from_config(cls, config: OutboxConfig) -> "RetryPolicy":
        return cls(
            max_attempts=config.max_attempts,
            max_backoff=config.max_backoff_seconds,
            probe_first=config.probe_first_seconds,
            probe_max=config.probe_max_seconds,
        )

    def backoff(self, attempts: int) -> float:
        """Seconds before the next attempt after `attempts` failed ones."""
        ceiling = min(self.max_backoff, 2.0 ** min(attempts, 30))
        return random.uniform(self.min_backoff, max(self.min_backoff, ceiling))

    def exhausted(self, attempts: int) -> bool:
        return attempts >= self.max_attempts

    def probe_delay(self, probes: int) -> float:
        """Seconds until a blocked channel is tried again after `probes` failed probes."""
        return min(self.probe_max, self.probe_first * 2.0 ** min(probes, 30))


# -- enqueueing --------------------------------------------------------------------------------

Target = tuple[Platform, ChannelId]


def route_target(route: DepartmentConfig | ManagersConfig) -> Target | None:
    """(platform, channel) a configured route posts to, or None when it names no chat."""
    if route.platform == "none" or not route.channel:
        return None
    return Platform(route.platform), ChannelId(route.channel)


def department_target(ticket: Ticket, config: Config) -> Target | None:
    """(platform, channel) the ticket's department routes to, or None for no chat."""
    return route_target(config.department(ticket.department))


def chat_target(session: Session, ticket: Ticket, config: Config) -> Target | None:
    """(platform, channel) of the ticket's thread, or None when it is not in any chat."""
    if ticket.escalated_at is None:
        return None
    link = repo.thread_for_ticket(session, repo.row_id(ticket))
    if link is not None:
        return link.platform, ChannelId(link.channel)
    return department_target(ticket, config)


def new_item(
    target: Target,
    payload: Payload,
    *,
    key: str,
    now: datetime,
    ticket_id: int | None = None,
    department: str | None = None,
) -> OutboxItem:
    """An item due now, its payload stored the way `payload_of` reads it back."""
    platform, channel = target
    operation, data = _stored(payload)
    return OutboxItem(
        idempotency_key=key,
        ticket_id=ticket_id,
        department=department,
        platform=platform,
        channel=channel,
        operation=operation,
        payload=data,
        next_attempt_at=now,
        created_at=now,
    )


def enqueue_open_thread(
    session: Session, ticket: Ticket, *, config: Config, now: datetime
) -> Target | None:
    """The ticket's first thread, in its department's channel; the target, or None (no chat)."""
    target = department_target(ticket, config)
    if target is not None:
        ticket_id = repo.row_id(ticket)
        item = new_item(
            target,
            OpenThread(),
            key=f"open:{ticket_id}",
            now=now,
            ticket_id=ticket_id,
            department=ticket.department,
        )
        delivery.enqueue(session, item)
    return target


def enqueue_post(
    session: Session, ticket: Ticket, message: Message, *, config: Config, now: datetime
) -> None:
    """The message into the ticket's thread (nothing when the ticket is in no chat)."""
    target = chat_target(session, ticket, config)
    if target is None:
        return
    posted = MessageId(repo.flushed_id(session, message))  # the key needs the row id
    item = new_item(
        target,
        PostMessage(posted),
        key=f"post:{posted}",
        now=now,
        ticket_id=repo.row_id(ticket),
        department=ticket.department,
    )
    delivery.enqueue(session, item)


def enqueue_root_update(session: Session, ticket: Ticket, *, config: Config, now: datetime) -> None:
    # The dispatcher renders the ticket as it is at delivery and collapses older pending updates,
    # so a unique key per change costs nothing.
    target = chat_target(session, ticket, config)
    if target is None:
        return
    ticket_id = repo.row_id(ticket)
    item = new_item(
        target,
        UpdateRoot(),
        key=f"root:{ticket_id}:{uuid.uuid4()}",
        now=now,
        ticket_id=ticket_id,
        department=ticket.department,
    )
    delivery.enqueue(session, item)


def announce(
    session: Session,
    config: Config,
    *,
    key: str,
    text: str,
    now: datetime,
    picture: Picture | None = None,
    link: LinkView | None = None,
) -> bool:
    """Queue `text` (and `picture`, `link`) for the managers' channel; False when none is
    configured or `key` was used."""
    target = route_target(config.managers)
    if target is None:
        return False
    item = new_item(target, Announce(text, picture, link), key=key, now=now)
    return delivery.enqueue_once(session, item)


def enqueue_webhook(
    session: Session,
    *,
    endpoints: Sequence[str],
    event: WebhookEvent,
    ticket_id: int | None,
    now: datetime,
) -> None:
    """The event to every named endpoint, in the transaction of the change it reports; per
    ticket and endpoint in order, independent of the ticket's chat deliveries."""
    for endpoint in endpoints:
        target = (Platform.WEBHOOK, ChannelId(endpoint))
        key = f"webhook:{endpoint}:{event.event_id}"
        delivery.enqueue(session, new_item(target, event, key=key, now=now, ticket_id=ticket_id))
