"""What each agent command does to a ticket, and what the agents are told."""

from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session

from bot import texts
from bot.commands import (
    Assign,
    Claim,
    Command,
    Help,
    Malformed,
    Reopen,
    Resolve,
    SendArticle,
    SetPriority,
    Stats,
    TicketCommand,
)
from bot.context import Context
from bot.errors import InvalidTransition
from bot.events import Agent, CommandReply
from bot.lifecycle import Action, Status
from bot.outbox import enqueue_root_update
from bot.ticketing import bot_says, transition
from storage import repositories as repo
from storage.models import Ticket

HELP = (
    "Commands: claim · resolve · reopen · priority critical|normal · assign <user> · "
    "article <id> · stats. Notes start with {note}; in explicit relay mode only messages "
    "starting with {reply} reach the shop."
)
USAGE = {
    "priority": "Usage: priority critical|normal",
    "assign": "Usage: assign <user>",
    "article": "Usage: article <id> (an id from the help center)",
}
NO_TICKET = "No ticket here: use the command in a ticket's thread."


class Usage(Exception):
    """The command cannot run as given; the message shows how it is used."""


def run_command(
    session: Session,
    ctx: Context,
    *,
    ticket: Ticket | None,
    agent: Agent,
    command: Command,
    stats: Callable[[], str] | None,
) -> CommandReply:
    """Apply `command` (to `ticket` when it needs one) and say what happened, for agents only."""
    chat = ctx.config.chat
    help_text = HELP.format(note=chat.note_prefix, reply=chat.reply_prefix)
    match command:
        case Stats() if stats is not None:
            return CommandReply(stats())
        case Stats():
            return CommandReply(help_text, ok=False)
        case Help(asked):
            return CommandReply(help_text, ok=asked)
    if ticket is None or ticket.status == Status.PURGED:
        return CommandReply(NO_TICKET, ok=False)
    if isinstance(command, Malformed):
        return CommandReply(USAGE[command.name], ok=False)
    try:
        return _apply(session, ctx, ticket, agent, command)
    except InvalidTransition as error:
        return CommandReply(f"Ticket #{ticket.id}: {error}.", ok=False)
    except Usage as usage:
        return CommandReply(str(usage), ok=False)


def _apply(
    session: Session, ctx: Context, ticket: Ticket, agent: Agent, command: TicketCommand
) -> CommandReply:
    now = ctx.clock.now()
    reply = _change(session, ctx, ticket, agent, command, now)
    ticket.updated_at = now
    session.add(ticket)
    if not isinstance(command, Resolve | Reopen):  # transition() has audited those
        name, args = _audited(command)
        repo.audit(session, ticket_id=ticket.id, actor=agent.actor, action=name, now=now, args=args)
    enqueue_root_update(session, ticket, config=ctx.config, now=now)
    return CommandReply(reply)


def _audited(command: TicketCommand) -> tuple[str, list[str]]:
    match command:
        case Claim():
            return "claim", []
        case SetPriority(priority):
            return "priority", [str(priority)]
        case Assign(assignee):
            return "assign", assignee.split()
        case SendArticle(article_id):
            return "article", [article_id]
    raise AssertionError(f"{command} is audited by its transition")


def _change(
    session: Session,
    ctx: Context,
    ticket: Ticket,
    agent: Agent,
    command: TicketCommand,
    now: datetime,
) -> str:
    """Apply the command to the ticket; returns what the agents are told."""
    match command:
        case Resolve():
            transition(session, ticket, Action.RESOLVE, actor=agent.actor, now=now)
            bot_says(session, ticket, texts.RESOLVED, kind="resolved", now=now, ctx=ctx)
            return f"Ticket #{ticket.id} resolved by {agent.display_name}."
        case Reopen():
            transition(session, ticket, Action.REOPEN, actor=agent.actor, now=now)
            bot_says(session, ticket, texts.REOPENED, kind="reopened", now=now, ctx=ctx)
            return f"Ticket #{ticket.id} reopened by {agent.display_name}."
        case SetPriority(priority):
            ticket.priority = priority
            return f"Ticket #{ticket.id} priority: {ticket.priority}."
        case Claim():
            ticket.assignee = agent.display_name
            return f"Ticket #{ticket.id} assigned to {ticket.assignee}."
        case Assign(assignee):
            ticket.assignee = assignee
            return f"Ticket #{ticket.id} assigned to {ticket.assignee}."
        case SendArticle(article_id):
            article = ctx.triager.article(article_id)
            if article is None:
                raise Usage(USAGE["article"])
            body = texts.ARTICLE.format(title=article.title, url=article.url)
            extra = {"article": article.article_id}
            bot_says(session, ticket, body, kind="article", now=now, ctx=ctx, **extra)
            return f"Article {article.article_id} sent to the shop."
