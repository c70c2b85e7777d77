"""What each agent command does to a ticket, and what the agents are told."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot import catalogue as cat
from bot import texts
from bot.commands import (
    Assign,
    Claim,
    Command,
    Help,
    Malformed,
    Move,
    Reopen,
    Resolve,
    SendArticle,
    SetPriority,
    Stats,
    TicketCommand,
)
from bot.context import Context
from bot.errors import InvalidTransition
from bot.events import Agent, CommandReply, TicketChoice
from bot.lifecycle import Action, Status
from bot.moving import move
from bot.outbox import enqueue_post, enqueue_root_update
from bot.ticketing import bot_says, transition
from bot.vocabulary import ChannelId, TicketId
from storage import delivery
from storage import repositories as repo
from storage.models import Ticket

USAGE = {
    "priority": cat.USAGE_PRIORITY,
    "assign": cat.USAGE_ASSIGN,
    "article": cat.USAGE_ARTICLE,
    "move": cat.USAGE_MOVE,
}
CHOICES_MAX = 10  # buttons in one answer (Slack allows 25 per actions block)


class Usage(Exception):
    """The command cannot run as given; the message shows how it is used."""


@dataclass(frozen=True, slots=True)
class Request:
    """A command as an agent gave it, with what the adapter resolved around it."""

    agent: Agent
    command: Command
    # People the command's line mentions (the first is whom `assign` means).
    mentions: tuple[Agent, ...] = ()
    # Where it was given, when not in a ticket's thread (`claim` there lists the open tickets).
    channel: ChannelId | None = None


def run_command(
    session: Session,
    ctx: Context,
    *,
    ticket: Ticket | None,
    request: Request,
    stats: Callable[[], str] | None,
) -> CommandReply:
    """Apply the command (to `ticket` when it needs one) and say what happened, for agents only."""
    chat = ctx.config.chat
    language = chat.language
    help_text = cat.text(cat.HELP, language, note=chat.note_prefix, reply=chat.reply_prefix)
    command = request.command
    match command:
        case Stats() if stats is not None:
            return CommandReply(stats())
        case Stats():
            return CommandReply(help_text, ok=False)
        case Help(asked):
            return CommandReply(help_text, ok=asked)
    if ticket is None and isinstance(command, Claim) and request.channel is not None:
        return _choices(session, ctx, request)
    if ticket is None or ticket.status == Status.PURGED:
        return CommandReply(cat.text(cat.NO_TICKET, language), ok=False)
    if isinstance(command, Malformed):
        usage = cat.text(USAGE[command.name], language, departments=_departments(ctx))
        return CommandReply(usage, ok=False)
    # One writer per ticket: a shop's message or another command queued for the ticket's thread
    # meanwhile is committed before we read where the thread is, or waits for our commit.
    repo.lock_ticket(session, repo.row_id(ticket))
    session.refresh(ticket)
    try:
        return _apply(session, ctx, ticket, request, command)
    except InvalidTransition as error:
        status = cat.status_label(Status(error.status), language)
        reason = cat.text(cat.CANNOT, language, action=error.action, status=status)
        return CommandReply(
            cat.text(cat.NOT_ALLOWED_NOW, language, id=ticket.id, reason=reason), ok=False
        )
    except Usage as usage:
        return CommandReply(str(usage), ok=False)


def _choices(session: Session, ctx: Context, request: Request) -> CommandReply:
    """`claim` without a ticket: the channel's open tickets, to pick one."""
    language = ctx.config.chat.language
    assert request.channel is not None
    rows = repo.open_tickets_in_channel(
        session, request.agent.platform, request.channel, limit=CHOICES_MAX
    )
    if not rows:
        return CommandReply(cat.text(cat.NO_OPEN_TICKETS, language), ok=False)
    choices = tuple(
        TicketChoice(
            ticket_id=TicketId(repo.row_id(row)),
            label=cat.text(cat.CHOICE, language, id=row.id, title=row.title),
        )
        for row in rows
    )
    return CommandReply(cat.text(cat.CHOOSE_TICKET, language), choices=choices)


def _apply(
    session: Session, ctx: Context, ticket: Ticket, request: Request, command: TicketCommand
) -> CommandReply:
    now = ctx.clock.now()
    reply = _change(session, ctx, ticket, request, command, now)
    ticket.updated_at = now
    session.add(ticket)
    if not isinstance(command, Resolve | Reopen | Move):  # audited where they are applied
        name, args = _audited(command, ticket)
        actor = request.agent.actor
        repo.audit(session, ticket_id=ticket.id, actor=actor, action=name, now=now, args=args)
    enqueue_root_update(session, ticket, config=ctx.config, now=now)
    return CommandReply(reply)


def _audited(command: TicketCommand, ticket: Ticket) -> tuple[str, list[str]]:
    match command:
        case Claim():
            return "claim", []
        case SetPriority(priority):
            return "priority", [str(priority)]
        case Assign():
            return "assign", [ticket.assignee or "", ticket.assignee_id or ""]
        case SendArticle(article_id):
            return "article", [article_id]
    raise AssertionError(f"{command} is audited by its transition")


def _departments(ctx: Context) -> str:
    names = ", ".join(sorted(ctx.config.departments))
    return names or cat.text(cat.NO_DEPARTMENTS, ctx.config.chat.language)


def _destination(ctx: Context, ticket: Ticket, name: str) -> str:
    """The configured department `name` means (ignoring case); Usage when there is none, or
    when it is the ticket's own."""
    language = ctx.config.chat.language
    found = next((d for d in ctx.config.departments if d.lower() == name.lower()), None)
    if found is None:
        raise Usage(
            cat.text(cat.UNKNOWN_DEPARTMENT, language, name=name, departments=_departments(ctx))
        )
    if found == ticket.department:
        raise Usage(cat.text(cat.ALREADY_THERE, language, id=ticket.id, department=found))
    return found


def _tell_shop(
    session: Session, ctx: Context, ticket: Ticket, body: str, *, kind: str, by: Agent, **extra: str
) -> None:
    """What Pomoc tells the shop on an agent's action, shown in the thread as well."""
    now = ctx.clock.now()
    message = bot_says(
        session, ticket, body, kind=kind, now=now, ctx=ctx, by=by.display_name, **extra
    )
    enqueue_post(session, ticket, message, config=ctx.config, now=now)


def _change(
    session: Session,
    ctx: Context,
    ticket: Ticket,
    request: Request,
    command: TicketCommand,
    now: datetime,
) -> str:
    """Apply the command to the ticket; returns what the agents are told."""
    language, agent = ctx.config.chat.language, request.agent
    match command:
        case Resolve():
            transition(session, ticket, Action.RESOLVE, actor=agent.actor, now=now)
            _tell_shop(session, ctx, ticket, texts.RESOLVED, kind="resolved", by=agent)
            return cat.text(cat.RESOLVED_BY, language, id=ticket.id, name=agent.display_name)
        case Reopen():
            transition(session, ticket, Action.REOPEN, actor=agent.actor, now=now)
            _tell_shop(session, ctx, ticket, texts.REOPENED, kind="reopened", by=agent)
            return cat.text(cat.REOPENED_BY, language, id=ticket.id, name=agent.display_name)
        case SetPriority(priority):
            label = cat.priority_label(priority, language)
            if priority == ticket.priority:  # no audit entry: it would count as a triage fix
                raise Usage(cat.text(cat.ALREADY_PRIORITY, language, id=ticket.id, priority=label))
            ticket.priority = priority
            return cat.text(cat.PRIORITY_SET, language, id=ticket.id, priority=label)
        case Claim():
            ticket.assignee, ticket.assignee_id = agent.display_name, agent.actor.id
            return cat.text(cat.ASSIGNED, language, id=ticket.id, name=ticket.assignee)
        case Assign(assignee):
            # A mention is a real agent (id and name); other text is taken as a name.
            target = request.mentions[0] if request.mentions else None
            ticket.assignee = target.display_name if target else assignee
            ticket.assignee_id = target.actor.id if target else None
            return cat.text(cat.ASSIGNED, language, id=ticket.id, name=ticket.assignee)
        case Move(name):
            if ticket.status == Status.RESOLVED:  # a new thread for a closed case: reopen first
                raise InvalidTransition(ticket.status, "move")
            department = _destination(ctx, ticket, name)
            # The worker would open that thread after we set its opening aside, and nothing
            # would link the ticket to it: agents' replies there would be lost.
            if delivery.ticket_thread_opening(session, repo.row_id(ticket), now):
                raise Usage(cat.text(cat.STILL_OPENING, language, id=ticket.id))
            move(session, ctx, ticket, department=department, agent=agent)
            return cat.text(cat.MOVED, language, id=ticket.id, department=department)
        case SendArticle(article_id):
            article = ctx.triager.article(article_id)
            if article is None:
                raise Usage(cat.text(cat.USAGE_ARTICLE, language))
            body = texts.ARTICLE.format(title=article.title, url=article.url)
            _tell_shop(
                session, ctx, ticket, body, kind="article", by=agent, article=article.article_id
            )
            return cat.text(cat.ARTICLE_SENT, language, article=article.article_id)
