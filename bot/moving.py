"""A ticket moved to another department: the audit, and its chat thread following it there."""

# Zendesk/Pylon style. The old thread gets a note and its root says where the ticket went; a
# new thread opens in the new department's channel, its root saying where the ticket came from;
# what was still undelivered follows the ticket there, behind the new root. The old thread
# becomes a `FormerThread`: agents writing there are pointed to the new one. The ticket's clock
# (created, escalated, first response) is left alone, so the SLA runs on, never restarted.

from datetime import datetime

from sqlmodel import Session

from bot import catalogue as cat
from bot.context import Context
from bot.events import Agent, CommandReply
from bot.outbox import (
    LeaveThread,
    OpenThread,
    Target,
    chat_target,
    department_target,
    new_item,
    route_target,
)
from bot.ticketing import add_message
from bot.vocabulary import (
    Author,
    ChannelId,
    ExternalId,
    MessageId,
    Platform,
    Source,
    ThreadId,
)
from storage import delivery
from storage import repositories as repo
from storage.models import FormerThread, ThreadLink, Ticket

AUTHOR = "Pomoc"  # who the note in the old thread is from
AUDIT_ACTION = "move"  # with args [from, to]: what the managers' triage figures count


def move(session: Session, ctx: Context, ticket: Ticket, *, department: str, agent: Agent) -> None:
    """Move the ticket to `department` (a configured one, other than its own)."""
    now = ctx.clock.now()
    left = ticket.department
    ticket.department = department
    ticket_id = repo.row_id(ticket)
    repo.audit(
        session,
        ticket_id=ticket_id,
        actor=agent.actor,
        action=AUDIT_ACTION,
        now=now,
        args=[left, department],
    )
    if ticket.escalated_at is None:
        return  # not in chat yet: it escalates to the new department's channel
    link = repo.thread_for_ticket(session, ticket_id)
    here = (link.platform, ChannelId(link.channel)) if link else _route(ctx, left)
    there = department_target(ticket, ctx.config)
    if there == here:
        return  # the same channel: the root update the command queues shows the department
    arrived = cat.text(
        cat.MOVED_IN, ctx.config.chat.language, department=left, name=agent.display_name
    )
    _follow(session, ticket, there=there, note=arrived, now=now)
    if link is not None:
        _leave(session, ctx, ticket, link, there=there, by=agent.display_name, left=left, now=now)


def _route(ctx: Context, department: str) -> Target | None:
    return route_target(ctx.config.department(department))


def _follow(
    session: Session,
    ticket: Ticket,
    *,
    there: Target | None,
    note: str,
    now: datetime,
) -> None:
    """A new root in `there` (none when the department has no chat), then the ticket's
    undelivered items, re-queued behind it; the originals are set aside.

    An item a worker is delivering right now may still land in the old thread: the copy makes
    sure the new thread gets it too."""
    ticket_id = repo.row_id(ticket)
    # Every chat platform: a fallback route may have taken an unopened thread elsewhere.
    waiting = [
        item
        for platform in (Platform.SLACK, Platform.MATRIX)
        for item in delivery.pending_of_ticket(session, ticket_id, platform)
    ]
    opening = None
    if there is not None:
        opening = new_item(
            there,
            OpenThread(note=note),
            key=delivery.requeued_key(f"open:{ticket_id}"),
            now=now,
            ticket_id=ticket_id,
            department=ticket.department,
        )
        delivery.enqueue(session, opening)
    delivery.requeue_behind(
        session, waiting, opening=opening, to=there, department=ticket.department
    )


def _leave(
    session: Session,
    ctx: Context,
    ticket: Ticket,
    link: ThreadLink,
    *,
    there: Target | None,
    by: str,
    left: str,
    now: datetime,
) -> None:
    """Tell the old thread (a note, kept in the ticket's history too) and mark its root."""
    note = add_message(
        session,
        ticket,
        author=Author.NOTE,
        author_name=AUTHOR,
        body=away(ctx, there, department=ticket.department, by=by),
        now=now,
        ctx=ctx,
        source=Source.SYSTEM,
        extra={"kind": "moved"},
    )
    payload = LeaveThread(
        thread_id=ThreadId(link.thread_id),
        root_id=ExternalId(link.root_message_id),
        message_id=MessageId(repo.flushed_id(session, note)),
        department=ticket.department,
        by=by,
    )
    item = new_item(
        (link.platform, ChannelId(link.channel)),
        payload,
        key=f"leave:{link.platform}:{link.channel}:{link.thread_id}",
        now=now,
        ticket_id=repo.row_id(ticket),
        department=left,
    )
    delivery.enqueue(session, item)
    repo.retire_thread(session, link, department=left, now=now)


def away(ctx: Context, now_at: Target | None, *, department: str, by: str) -> str:
    """What the thread a ticket left reads: the move, and where the ticket is `now_at`."""
    language = ctx.config.chat.language
    where = _where(now_at, language)
    return cat.text(cat.MOVED_AWAY, language, department=department, name=by, where=where)


def _where(target: Target | None, language: str) -> str:
    if target is None:
        return cat.text(cat.WHERE_NO_CHAT, language)
    platform, channel = target
    return cat.text(cat.WHERE_CHANNEL, language, channel=channel, platform=platform)


def pointer(
    session: Session, ctx: Context, former: FormerThread, *, kept_as_note: bool
) -> CommandReply:
    """What an agent writing in a thread the ticket left is told: where the ticket is now."""
    language = ctx.config.chat.language
    ticket = session.get(Ticket, former.ticket_id)
    assert ticket is not None  # a purged ticket's former threads go with it
    where = _where(chat_target(session, ticket, ctx.config), language)
    text = cat.text(
        cat.MOVED_ELSEWHERE, language, id=ticket.id, department=ticket.department, where=where
    )
    if kept_as_note:
        text = f"{text} {cat.text(cat.KEPT_AS_NOTE, language)}"
    return CommandReply(text, ok=False)
