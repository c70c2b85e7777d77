"""The tables: shops, tickets, messages, attachments, chat links, outbox, dedupe, audit, SLA."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Float,
    Index,
    LargeBinary,
    Table,
    Text,
    Unicode,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from bot.lifecycle import Status
from bot.vocabulary import Actor, Author, Operation, OutboxState, Platform, Priority, Source
from storage.types import ActorText, EnumText, UTCDateTime


def _utc(**kwargs: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kwargs)


def _enum(enum: type[StrEnum], length: int, **kwargs: Any) -> Any:
    """A column of the domain's vocabulary: stored as text, read back as the enum."""
    return Field(sa_column=Column(EnumText(enum, length), nullable=False), **kwargs)


class Shop(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=200)
    token_hash: str = Field(unique=True, max_length=64)
    active: bool = True
    created_at: datetime = _utc()
    # The shop platform's own id for the shop (platform API upserts by it) and its plan.
    external_id: str | None = Field(default=None, unique=True, max_length=100)
    plan: str | None = Field(default=None, max_length=50)


class Ticket(SQLModel, table=True):
    __table_args__ = (
        Index("ix_ticket_shop_activity", "shop_id", "last_activity_at"),
        Index("ix_ticket_shop_unread", "shop_id", "unread"),
        Index("ix_ticket_shop_created", "shop_id", "created_at"),
        Index("ix_ticket_status_due", "status", "due_at"),
        # What managers' reports count by (storage/reports.py).
        Index("ix_ticket_created_at", "created_at"),
        Index("ix_ticket_first_response_at", "first_response_at"),
        Index("ix_ticket_resolved_at", "resolved_at"),
        Index("ix_ticket_escalated_at", "escalated_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id")
    title: str = Field(max_length=200)
    body: str = Field(sa_column=Column(Text, nullable=False))
    order_url: str | None = Field(default=None, max_length=2000)
    status: Status = _enum(Status, 20)
    priority: Priority = _enum(Priority, 20, default=Priority.NORMAL)
    department: str = Field(default="other", max_length=40)
    assignee: str | None = Field(default=None, max_length=200)
    # The assignee's chat identity when known (`slack:U123`, `matrix:@anna:hs`), beside the name.
    assignee_id: str | None = Field(default=None, max_length=255)
    triage: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    deflected: bool = False
    # True while the shop has an agent or bot message it has not opened yet: the orange row and "!".
    unread: bool = False
    # When the ticket's next automatic step is due (queue release, deflection timeout).
    due_at: datetime | None = _utc(default=None)
    created_at: datetime = _utc()
    updated_at: datetime = _utc()
    last_activity_at: datetime = _utc()
    escalated_at: datetime | None = _utc(default=None)
    first_response_at: datetime | None = _utc(default=None)
    resolved_at: datetime | None = _utc(default=None)


class Message(SQLModel, table=True):
    __table_args__ = (
        Index("ix_message_ticket", "ticket_id", "id"),
        Index("ix_message_created_at", "created_at"),  # managers' reports
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    author: Author = _enum(Author, 20)
    author_name: str = Field(default="", max_length=200)
    body: str = Field(sa_column=Column(Text, nullable=False))
    # The sanitised formatting of an agent's message (bot/richtext.py); `body` is its plain text.
    body_html: str | None = Field(default=None, sa_column=Column(Text))
    source: Source = _enum(Source, 20, default=Source.PANEL)
    extra: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = _utc()
    edited_at: datetime | None = _utc(default=None)
    deleted_at: datetime | None = _utc(default=None)


class Attachment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    message_id: int | None = Field(default=None, foreign_key="message.id", index=True)
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64)
    storage_key: str = Field(max_length=300)
    created_at: datetime = _utc()


class ThreadLink(SQLModel, table=True):
    """One chat thread per ticket per platform: mautrix's portal, narrowed to a ticket."""

    __table_args__ = (
        UniqueConstraint("ticket_id", "platform"),
        UniqueConstraint("platform", "channel", "thread_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    platform: Platform = _enum(Platform, 20)
    channel: str = Field(max_length=255)
    thread_id: str = Field(max_length=255)
    root_message_id: str = Field(max_length=255)
    # What the root shows now (a digest of its view), so it is edited only when that changes,
    # and Pomoc's own line on it (e.g. why it is on a fallback route), kept through every edit.
    root_digest: str = Field(default="", max_length=64)
    notice: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = _utc()


class FormerThread(SQLModel, table=True):
    """A thread a ticket left when an agent moved it to another department: agents writing
    there are pointed to where it lives now."""

    __tablename__ = "former_thread"
    __table_args__ = (UniqueConstraint("platform", "channel", "thread_id"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    platform: Platform = _enum(Platform, 20)
    channel: str = Field(max_length=255)
    thread_id: str = Field(max_length=255)
    department: str = Field(max_length=40)  # the department the ticket left
    moved_at: datetime = _utc()


class MessageLink(SQLModel, table=True):
    """Our message <-> its copy on a chat platform, for edits, deletes and dedupe."""

    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="message.id", index=True)
    platform: Platform = _enum(Platform, 20)
    channel: str = Field(max_length=255)
    external_id: str = Field(max_length=255)
    created_at: datetime = _utc()


class OutboxItem(SQLModel, table=True):
    """A pending delivery to a chat platform, written in the same transaction as its cause."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_pending", "state", "next_attempt_at"),
        Index("ix_outbox_ticket", "ticket_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(unique=True, max_length=200)
    ticket_id: int | None = Field(default=None, index=False)
    platform: Platform = _enum(Platform, 20)
    channel: str = Field(max_length=255)
    operation: Operation = _enum(Operation, 30)
    # The ticket's department when queued: for operators reading the outbox and the logs.
    department: str | None = Field(default=None, max_length=40)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    state: OutboxState = _enum(OutboxState, 20, default=OutboxState.PENDING)
    attempts: int = 0
    next_attempt_at: datetime = _utc()
    claimed_by: str | None = Field(default=None, max_length=100)
    claimed_until: datetime | None = _utc(default=None)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    result: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = _utc()
    delivered_at: datetime | None = _utc(default=None)


class BlockedChannel(SQLModel, table=True):
    """A channel (or, with `channel` "*", a whole platform) whose deliveries wait for an operator:
    its items stay pending while a probe retries the oldest one on a capped backoff."""

    __tablename__ = "blocked_channel"
    __table_args__ = (UniqueConstraint("platform", "channel"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: Platform = _enum(Platform, 20)
    channel: str = Field(max_length=255)
    code: str = Field(max_length=100)  # the platform's error, e.g. not_in_channel
    detail: str = Field(default="", sa_column=Column(Text, nullable=False))
    since: datetime = _utc()
    next_probe_at: datetime = _utc()
    probes: int = 0


class ChannelLease(SQLModel, table=True):
    """Which instance delivers to a channel now: one at a time, so a channel's pace (Slack's one
    message a second) holds across instances; `until` outlives a lane by that interval."""

    __tablename__ = "channel_lease"

    platform: Platform = Field(sa_column=Column(EnumText(Platform, 20), primary_key=True))
    channel: str = Field(primary_key=True, max_length=255)
    holder: str = Field(max_length=100)
    until: datetime = _utc()


class InboundQueueItem(SQLModel, table=True):
    """An inbound chat event taken in at once (Slack wants its answer within 3 s) and handled
    after: file downloads and the desk's work never cost a redelivery or a lost reply."""

    __tablename__ = "inbound_queue"
    __table_args__ = (
        UniqueConstraint("platform", "event_id"),
        Index("ix_inbound_queue_pending", "state", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: Platform = _enum(Platform, 20)
    event_id: str = Field(max_length=255)
    kind: str = Field(max_length=30)  # message / action / command / shortcut
    channel: str = Field(max_length=255)  # events of one channel are handled in order
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    state: OutboxState = _enum(OutboxState, 20, default=OutboxState.PENDING)
    attempts: int = 0
    next_attempt_at: datetime = _utc()
    claimed_by: str | None = Field(default=None, max_length=100)
    claimed_until: datetime | None = _utc(default=None)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    received_at: datetime = _utc()


class InboundEvent(SQLModel, table=True):
    """Ids of processed inbound chat events: the claim that makes a retried event a no-op."""

    __table_args__ = (UniqueConstraint("platform", "event_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: Platform = _enum(Platform, 20)
    event_id: str = Field(max_length=255)
    received_at: datetime = _utc()


class SyncState(SQLModel, table=True):
    key: str = Field(primary_key=True, max_length=100)
    value: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: datetime = _utc()


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int | None = Field(default=None, index=True)
    actor: Actor = Field(sa_column=Column(ActorText(200), nullable=False))
    action: str = Field(max_length=50)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = _utc(index=True)


class SlaAlert(SQLModel, table=True):
    """An SLA reminder or breach alert already sent, so the next check does not repeat it."""

    __tablename__ = "sla_alert"
    __table_args__ = (UniqueConstraint("ticket_id", "kind", "stage", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(index=True)
    kind: str = Field(max_length=20)  # first_response / resolution
    stage: str = Field(max_length=20)  # reminder / breach
    seq: int = 1  # 1 for the first breach alert, then each repeat
    deadline: datetime = _utc()
    created_at: datetime = _utc(index=True)


class WebSession(SQLModel, table=True):
    """A web inbox session: the cookie holds a random token, the table its hash, so logging out
    (or rotating the shop's token) ends it on the server."""

    __tablename__ = "web_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, max_length=64)
    shop_id: int = Field(foreign_key="shop.id", index=True)
    created_at: datetime = _utc()
    expires_at: datetime = _utc(index=True)


class LoginLink(SQLModel, table=True):
    """A single-use web inbox login link, issued by Pomoc or signed by the platform (its nonce)."""

    __tablename__ = "login_link"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, max_length=64)
    shop_id: int = Field(foreign_key="shop.id", index=True)
    created_at: datetime = _utc()
    expires_at: datetime = _utc(index=True)
    used_at: datetime | None = _utc(default=None)


class IdempotencyRecord(SQLModel, table=True):
    """A POST's `Idempotency-Key`: the request's hash and, once answered, the answer (24 h)."""

    __tablename__ = "idempotency_key"
    __table_args__ = (UniqueConstraint("principal", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    principal: str = Field(max_length=100)  # whose key: "shop:12"
    key: str = Field(max_length=255)
    request_hash: str = Field(max_length=64)
    state: str = Field(max_length=20)  # pending / applied / done
    locked_until: datetime = _utc()
    status_code: int | None = None
    response: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = _utc()
    expires_at: datetime = _utc(index=True)


class Upload(SQLModel, table=True):
    """A file uploaded ahead of the ticket or message it will belong to (`uploads` tokens)."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, max_length=64)
    shop_id: int = Field(foreign_key="shop.id", index=True)
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64)
    storage_key: str = Field(max_length=300)
    created_at: datetime = _utc()
    expires_at: datetime = _utc(index=True)


class Rating(SQLModel, table=True):
    """The shop's 1-5 rating of its resolved ticket; one per ticket, a later rating replaces it."""

    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 5", name="ck_rating_score"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", unique=True)
    shop_id: int = Field(foreign_key="shop.id", index=True)
    score: int
    comment: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = _utc()
    updated_at: datetime = _utc(index=True)  # the reports count ratings given in their period


# APScheduler's job store, declared here (as APScheduler defines it) so migrations own the schema.
scheduler_jobs = Table(
    "apscheduler_jobs",
    SQLModel.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)
