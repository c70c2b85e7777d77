"""The outbox's one home: typed payloads and results, the retry policy, and enqueueing."""

# A state change and the deliveries it causes are written in one transaction (the enqueue
# helpers below take the caller's session); the dispatcher delivers them later, at least once,
# with at most one successful platform call per idempotency key.

import random
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.config import Config, OutboxConfig
from bot.vocabulary import ChannelId, ExternalId, MessageId, Operation, Platform, ThreadId
from storage import repositories as repo
from storage.models import Message, OutboxItem, Ticket

# -- payloads: what an item asks for -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OpenThread:
    """Post the ticket's root message; later items of the ticket go into its thread."""


@dataclass(frozen=True, slots=True)
class PostMessage:
    message_id: MessageId


@dataclass(frozen=True, slots=True)
class UpdateRoot:
    """Re-render the root as the ticket is at delivery time."""


@dataclass(frozen=True, slots=True)
class Announce:
    """A standalone message in a channel (SLA alert, digest), tied to no ticket."""

    text: str


Payload = OpenThread | PostMessage | UpdateRoot | Announce


def payload_of(item: OutboxItem) -> Payload:
    data = item.payload
    match item.operation:
        case Operation.OPEN_THREAD:
            return OpenThread()
        case Operation.POST:
            return PostMessage(MessageId(int(data["message_id"])))
        case Operation.UPDATE_ROOT:
            return UpdateRoot()
        case Operation.ANNOUNCE:
            return Announce(str(data["text"]))
    raise ValueError(f"unknown outbox operation {item.operation!r}")


def _stored(payload: Payload) -> tuple[Operation, dict[str, Any]]:
    match payload:
        case OpenThread():
            return Operation.OPEN_THREAD, {}
        case PostMessage(message_id):
            return Operation.POST, {"message_id": message_id}
        case UpdateRoot():
            return Operation.UPDATE_ROOT, {}
        case Announce(text):
            return Operation.ANNOUNCE, {"text": text}


# -- results: what the platform answered ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ThreadOpened:
    thread_id: ThreadId
    root_id: ExternalId
    existing: bool = False  # delivered before a crash lost our "done": nothing new to record


@dataclass(frozen=True, slots=True)
class Posted:
    message_id: ExternalId


@dataclass(frozen=True, slots=True)
class RootUpdated:
    superseded: bool = False  # a later pending update renders a fresher state: this one skipped


Result = ThreadOpened | Posted | RootUpdated


def result_record(result: Result) -> dict[str, Any]:
    """What the item's `result` column keeps (for operators reading the outbox)."""
    match result:
        case ThreadOpened(thread_id, root_id, existing):
            return {"thread_id": thread_id, "root_id": root_id, "existing": existing}
        case Posted(message_id):
            return {"id": message_id}
        case RootUpdated(superseded):
            return {"superseded": superseded}


# -- retries ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with full jitter, capped; an item gives up after `max_attempts`."""

    max_attempts: int = 20
    max_backoff: float = 600.0
    min_backoff: float = 0.5

    @classmethod
    def from_config(cls, config: OutboxConfig) -> "RetryPolicy":
        return cls(max_attempts=config.max_attempts, max_backoff=config.max_backoff_seconds)

    def backoff(self, attempts: int) -> float:
        """Seconds before the next attempt after `attempts` failed ones."""
        ceiling = min(self.max_backoff, 2.0 ** min(attempts, 30))
        return random.uniform(self.min_backoff, max(self.min_backoff, ceiling))

    def exhausted(self, attempts: int) -> bool:
        return attempts >= self.max_attempts


# -- enqueueing --------------------------------------------------------------------------------

Target = tuple[Platform, ChannelId]


def department_target(ticket: Ticket, config: Config) -> Target | None:
    """(platform, channel) the ticket's department routes to, or None for no chat."""
    route = config.department(ticket.department)
    if route.platform == "none" or not route.channel:
        return None
    return Platform(route.platform), ChannelId(route.channel)


def chat_target(session: Session, ticket: Ticket, config: Config) -> Target | None:
    """(platform, channel) of the ticket's thread, or None when it is not in any chat."""
    if ticket.escalated_at is None:
        return None
    link = repo.thread_for_ticket(session, repo.row_id(ticket))
    if link is not None:
        return link.platform, ChannelId(link.channel)
    return department_target(ticket, config)


def _item(
    target: Target, payload: Payload, *, key: str, now: datetime, ticket: Ticket | None
) -> OutboxItem:
    platform, channel = target
    operation, data = _stored(payload)
    return OutboxItem(
        idempotency_key=key,
        ticket_id=None if ticket is None else repo.row_id(ticket),
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
        key = f"open:{repo.row_id(ticket)}"
        repo.enqueue(session, _item(target, OpenThread(), key=key, now=now, ticket=ticket))
    return target


def enqueue_post(
    session: Session, ticket: Ticket, message: Message, *, config: Config, now: datetime
) -> None:
    """The message into the ticket's thread (nothing when the ticket is in no chat)."""
    target = chat_target(session, ticket, config)
    if target is None:
        return
    posted = MessageId(repo.flushed_id(session, message))  # the key needs the row id
    item = _item(target, PostMessage(posted), key=f"post:{posted}", now=now, ticket=ticket)
    repo.enqueue(session, item)


def enqueue_root_update(session: Session, ticket: Ticket, *, config: Config, now: datetime) -> None:
    # The dispatcher renders the ticket as it is at delivery and collapses older pending updates,
    # so a unique key per change costs nothing.
    target = chat_target(session, ticket, config)
    if target is None:
        return
    key = f"root:{repo.row_id(ticket)}:{uuid.uuid4()}"
    repo.enqueue(session, _item(target, UpdateRoot(), key=key, now=now, ticket=ticket))


def announce(session: Session, config: Config, *, key: str, text: str, now: datetime) -> bool:
    """Queue `text` for the managers' channel; False when none is configured or `key` was used."""
    managers = config.managers
    if managers.platform == "none" or not managers.channel:
        return False
    target = (Platform(managers.platform), ChannelId(managers.channel))
    return repo.enqueue_once(session, _item(target, Announce(text), key=key, now=now, ticket=None))
