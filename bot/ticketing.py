"""Ticket primitives shared by the shop-side and agent-side operations, all on one session.

Each primitive changes state and, in the same transaction, writes the outbox items the change
causes: that pairing is what makes delivery durable.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.clock import Clock
from bot.config import Config
from bot.hours import SupportHours
from bot.lifecycle import Action, Status, next_status
from bot.triage import Triager
from bot.uploads import CheckedFile
from storage import repositories as repo
from storage.files import AttachmentStore
from storage.models import Attachment, Message, OutboxItem, Ticket

# Bot messages that deserve the orange row and the "!": the owner has something to read or do.
NOTIFYING = frozenset({"suggestions", "resolved", "article", "auto_resolved", "queued"})


@dataclass(frozen=True)
class Context:
    """What every operation needs besides its session."""

    config: Config
    clock: Clock
    hours: SupportHours
    files: AttachmentStore
    triager: Triager


def transition(
    session: Session, ticket: Ticket, action: Action, *, actor: str, now: datetime, **detail: object
) -> Status:
    """Move the ticket through the state machine and record who did it."""
    before = ticket.status
    after = next_status(before, action)
    ticket.status = after
    ticket.updated_at = now
    if after == Status.RESOLVED:
        ticket.resolved_at = now
        ticket.due_at = None
    elif before == Status.RESOLVED:
        ticket.resolved_at = None
    session.add(ticket)
    repo.audit(
        session,
        ticket_id=ticket.id,
        actor=actor,
        action=str(action),
        now=now,
        status_from=str(before),
        status_to=str(after),
        **detail,
    )
    return after


def add_message(
    session: Session,
    ticket: Ticket,
    *,
    author: str,
    body: str,
    now: datetime,
    ctx: Context,
    author_name: str = "",
    source: str = "panel",
    extra: dict | None = None,
    files: list[CheckedFile] = (),
) -> Message:
    message = Message(
        ticket_id=ticket.id,
        author=author,
        author_name=author_name,
        body=body,
        source=source,
        extra=extra or {},
        created_at=now,
    )
    session.add(message)
    if files:
        session.flush()  # the attachments need the message's id; otherwise the commit assigns it
    for item in files:
        key, digest = ctx.files.save(item.data)
        session.add(
            Attachment(
                ticket_id=ticket.id,
                message_id=message.id,
                filename=item.filename,
                content_type=item.content_type,
                size=len(item.data),
                sha256=digest,
                storage_key=key,
                created_at=now,
            )
        )
    if author == "agent" or (author == "bot" and message.extra.get("kind") in NOTIFYING):
        ticket.unread = True
    if author != "note":
        ticket.last_activity_at = now
    ticket.updated_at = now
    session.add(ticket)
    return message


def message_id(session: Session, message: Message) -> int:
    """The message's row id, flushing first if the message is still pending."""
    if message.id is None:
        session.flush()
    return message.id


def bot_says(
    session: Session,
    ticket: Ticket,
    body: str,
    *,
    kind: str,
    now: datetime,
    ctx: Context,
    **extra: object,
) -> Message:
    """A message from Pomoc itself to the shop: suggestions, the queue notice, status changes."""
    return add_message(
        session,
        ticket,
        author="bot",
        body=body,
        now=now,
        ctx=ctx,
        source="system",
        extra={"kind": kind, **extra},
    )


def department_target(ticket: Ticket, config: Config) -> tuple[str, str] | None:
    """(platform, channel) the ticket's department routes to, or None for no chat."""
    route = config.department(ticket.department)
    if route.platform == "none" or not route.channel:
        return None
    return route.platform, route.channel


def chat_target(session: Session, ticket: Ticket, config: Config) -> tuple[str, str] | None:
    """(platform, channel) of the ticket's thread, or None when it is not in any chat."""
    if ticket.escalated_at is None:
        return None
    link = repo.thread_for_ticket(session, ticket.id)
    if link is not None:
        return link.platform, link.channel
    return department_target(ticket, config)


def _enqueue(
    session: Session,
    ticket: Ticket,
    target: tuple[str, str] | None,
    *,
    operation: str,
    key: str,
    now: datetime,
    **payload: object,
) -> None:
    if target is None:
        return
    platform, channel = target
    repo.enqueue(
        session,
        OutboxItem(
            idempotency_key=key,
            ticket_id=ticket.id,
            platform=platform,
            channel=channel,
            operation=operation,
            payload=payload,
            next_attempt_at=now,
            created_at=now,
        ),
    )


def escalate(session: Session, ticket: Ticket, *, actor: str, now: datetime, ctx: Context) -> None:
    """Put the ticket in its department's chat: a thread, then each later shop message."""
    # `new` lives only inside the transaction that opens the ticket: no follow-ups to look up.
    just_opened = ticket.status == Status.NEW
    transition(session, ticket, Action.ESCALATE, actor=actor, now=now)
    first_escalation = ticket.escalated_at is None
    ticket.escalated_at = ticket.escalated_at or now
    ticket.due_at = None
    if not first_escalation:
        return
    # Never escalated before, so no thread exists yet: the department decides where it goes.
    target = department_target(ticket, ctx.config)
    _enqueue(session, ticket, target, operation="open_thread", key=f"open:{ticket.id}", now=now)
    if target is None or just_opened:
        return
    follow_ups = repo.ticket_messages(session, ticket.id, include_notes=False)[1:]
    for message in follow_ups:
        if message.author == "shop":
            enqueue_post(session, ticket, message, ctx=ctx, now=now)


def enqueue_post(
    session: Session, ticket: Ticket, message: Message, *, ctx: Context, now: datetime
) -> None:
    posted = message_id(session, message)  # the key needs it: flush a pending message first
    _enqueue(
        session,
        ticket,
        chat_target(session, ticket, ctx.config),
        operation="post",
        key=f"post:{posted}",
        now=now,
        message_id=posted,
    )


def enqueue_root_update(session: Session, ticket: Ticket, *, ctx: Context, now: datetime) -> None:
    # The dispatcher renders the ticket as it is at delivery and collapses older pending updates,
    # so a unique key per change costs nothing.
    _enqueue(
        session,
        ticket,
        chat_target(session, ticket, ctx.config),
        operation="update_root",
        key=f"root:{ticket.id}:{uuid.uuid4()}",
        now=now,
    )
