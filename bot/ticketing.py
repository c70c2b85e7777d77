"""Ticket primitives shared by the shop-side and agent-side operations, all on one session."""

# Each primitive changes state and, in the same transaction, writes the outbox items the change
# causes: that pairing is what makes delivery durable.

from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.context import Context
from bot.lifecycle import Action, Status, next_status
from bot.outbox import enqueue_open_thread, enqueue_post
from bot.uploads import CheckedFile
from bot.vocabulary import Actor, Author, Source
from storage import repositories as repo
from storage.models import Attachment, Message, Ticket

# Bot messages that deserve the orange row and the "!": the owner has something to read or do.
NOTIFYING = frozenset({"suggestions", "resolved", "article", "auto_resolved", "queued"})


def transition(
    session: Session,
    ticket: Ticket,
    action: Action,
    *,
    actor: Actor,
    now: datetime,
    **detail: object,
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
        # A reopened ticket is no longer closed by an article: whoever resolves it next does.
        ticket.resolved_at = None
        ticket.deflected = False
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
    author: Author,
    body: str,
    now: datetime,
    ctx: Context,
    author_name: str = "",
    source: Source = Source.PANEL,
    extra: dict[str, Any] | None = None,
    files: tuple[CheckedFile, ...] | list[CheckedFile] = (),
) -> Message:
    message = Message(
        ticket_id=repo.row_id(ticket),
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
                ticket_id=message.ticket_id,
                message_id=message.id,
                filename=item.filename,
                content_type=item.content_type,
                size=len(item.data),
                sha256=digest,
                storage_key=key,
                created_at=now,
            )
        )
    touch(session, ticket, message, now=now)
    return message


def touch(session: Session, ticket: Ticket, message: Message, *, now: datetime) -> None:
    """What a new message of its conversation changes on the ticket: the unread mark for the
    shop, the latest activity (not for agents' notes), the update time."""
    notifying = message.author == Author.BOT and message.extra.get("kind") in NOTIFYING
    if message.author == Author.AGENT or notifying:
        ticket.unread = True
    if message.author != Author.NOTE:
        ticket.last_activity_at = now
    ticket.updated_at = now
    session.add(ticket)


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
        author=Author.BOT,
        body=body,
        now=now,
        ctx=ctx,
        source=Source.SYSTEM,
        extra={"kind": kind, **extra},
    )


def escalate(
    session: Session, ticket: Ticket, *, actor: Actor, now: datetime, ctx: Context
) -> None:
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
    target = enqueue_open_thread(session, ticket, config=ctx.config, now=now)
    if target is None or just_opened:
        return
    follow_ups = repo.ticket_messages(session, repo.row_id(ticket), include_notes=False)[1:]
    for message in follow_ups:  # and, for agents, when the shop was told support would answer
        if message.author == Author.SHOP or message.extra.get("kind") == "queued":
            enqueue_post(session, ticket, message, config=ctx.config, now=now)
