"""The agents' side: inbound chat events become replies, notes, edits and commands.

Each event is claimed by id and applied in one transaction, so a redelivered event is a no-op
and a crash mid-way leaves it unclaimed for the retry.
"""

import asyncio
from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session

from bot import texts
from bot.errors import InvalidTransition, ThreadNotReady, ValidationFailed
from bot.events import (
    Agent,
    AgentCommand,
    ChannelUnreadable,
    CommandReply,
    InboundEvent,
    ThreadMessage,
    ThreadMessageDeleted,
    ThreadMessageEdited,
)
from bot.lifecycle import Action, allowed_actions
from bot.managers import announce
from bot.ticketing import (
    Context,
    add_message,
    bot_says,
    enqueue_root_update,
    message_id,
    transition,
)
from bot.uploads import check_files
from storage import repositories as repo
from storage.db import Database
from storage.models import Message, MessageLink, Ticket

# How long a reply may wait for its thread to be recorded: the platform has already answered
# the worker by then, so the wait is normally milliseconds.
THREAD_WAIT_SECONDS = 10.0
THREAD_POLL_SECONDS = 0.1
UNREADABLE = (
    "⚠️ Pomoc cannot read {platform} room {channel} ({reason}): what {agent} and other agents "
    "write there never reaches the shops. Move the department to an unencrypted room."
)
HELP = (
    "Commands: claim · resolve · reopen · priority critical|normal · assign <user> · "
    "article <id> · stats. Notes start with {note}; in explicit relay mode only messages "
    "starting with {reply} reach the shop."
)
COMMANDS = frozenset(
    {"claim", "resolve", "reopen", "priority", "assign", "article", "stats", "help"}
)


class AgentDesk:
    def __init__(self, db: Database, ctx: Context, *, stats: Callable[[], str] | None = None):
        self.db = db
        self.ctx = ctx
        self.stats = stats

    async def handle(self, event: InboundEvent) -> CommandReply | None:
        """The adapters' `on_event` sink; the database work runs off the event loop.

        A reply to a thread still being opened waits (the worker records the thread as soon
        as the platform answers) instead of being taken for a stranger's thread and lost."""
        waited = 0.0
        while True:
            try:
                return await asyncio.to_thread(self.apply, event)
            except ThreadNotReady:
                if waited >= THREAD_WAIT_SECONDS:
                    raise
                await asyncio.sleep(THREAD_POLL_SECONDS)
                waited += THREAD_POLL_SECONDS

    def apply(self, event: InboundEvent) -> CommandReply | None:
        platform = event.thread.platform if isinstance(event, ThreadMessage) else event.platform
        now = self.ctx.clock.now()
        with self.db.transaction() as session:
            if not repo.claim_inbound(session, platform, event.event_id, now):
                return None
            match event:
                case ThreadMessage():
                    return self._thread_message(session, event)
                case ThreadMessageEdited():
                    return self._edited(session, event)
                case ThreadMessageDeleted():
                    return self._deleted(session, event)
                case AgentCommand():
                    return self._command(session, event)
                case ChannelUnreadable():
                    return self._unreadable(session, event, now)
        return None

    def _unreadable(self, session: Session, event: ChannelUnreadable, now: datetime) -> None:
        """Tell the managers, once a day per channel while agents keep writing there."""
        day = now.astimezone(self.ctx.hours.zone).date()
        announce(
            session,
            self.ctx.config,
            key=f"unreadable:{event.platform}:{event.channel}:{day}",
            text=UNREADABLE.format(
                channel=event.channel,
                platform=event.platform,
                reason=event.reason,
                agent=event.agent.display_name,
            ),
            now=now,
        )

    # -- messages ---------------------------------------------------------------------------

    def _thread_message(self, session: Session, event: ThreadMessage) -> CommandReply | None:
        ref = event.thread
        link = repo.thread_by_ref(session, ref.platform, ref.channel, ref.thread_id)
        if link is None:
            if repo.thread_opening(session, ref.platform, ref.channel, self.ctx.clock.now()):
                raise ThreadNotReady(f"{ref.platform} thread {ref.thread_id}")
            return None  # a thread that is not a ticket's
        ticket = session.get(Ticket, link.ticket_id)
        chat = self.ctx.config.chat
        text = event.text.strip()
        lowered = text.lower()
        if lowered.startswith(chat.note_prefix):
            return self._note(session, ticket, event, text[len(chat.note_prefix) :])
        if lowered.startswith(chat.reply_prefix):
            return self._reply(session, ticket, event, text[len(chat.reply_prefix) :])
        if text.startswith(chat.command_prefix) and text[len(chat.command_prefix) :][:1].isalpha():
            name, *args = text[len(chat.command_prefix) :].split()
            command = AgentCommand(
                event_id=event.event_id,
                platform=ref.platform,
                agent=event.agent,
                name=name.lower(),
                args=tuple(args),
            )
            return self._run_command(session, ticket, command)
        if (
            event.via_reply_action
            or self.ctx.config.department(ticket.department).relay_mode == "all"
        ):
            return self._reply(session, ticket, event, text)
        return self._note(session, ticket, event, text)

    def _note(self, session: Session, ticket: Ticket, event: ThreadMessage, text: str) -> None:
        now = self.ctx.clock.now()
        message = add_message(
            session,
            ticket,
            author="note",
            author_name=event.agent.display_name,
            body=text.strip(),
            now=now,
            ctx=self.ctx,
            source=event.thread.platform,
        )
        self._link(session, message, event)
        return None

    def _reply(
        self, session: Session, ticket: Ticket, event: ThreadMessage, text: str
    ) -> CommandReply | None:
        text = text.strip()
        files, refused = self._acceptable_files(event)
        if not text and not files:
            return None
        now = self.ctx.clock.now()
        if Action.AGENT_REPLY in allowed_actions(ticket.status):
            transition(session, ticket, Action.AGENT_REPLY, actor=event.agent.actor, now=now)
        ticket.first_response_at = ticket.first_response_at or now
        message = add_message(
            session,
            ticket,
            author="agent",
            author_name=event.agent.display_name,
            body=text,
            now=now,
            ctx=self.ctx,
            source=event.thread.platform,
            files=files,
        )
        self._link(session, message, event)
        enqueue_root_update(session, ticket, ctx=self.ctx, now=now)
        if refused:
            return CommandReply(
                f"Not sent to the shop (type or size not allowed): {refused}", False
            )
        return None

    def _acceptable_files(self, event: ThreadMessage) -> tuple[list, str]:
        accepted, refused = [], []
        for item in event.files:
            try:
                accepted += check_files([item], self.ctx.config.attachments)
            except ValidationFailed:
                refused.append(item.filename)
        return accepted, ", ".join(refused)

    def _link(self, session: Session, message: Message, event: ThreadMessage) -> None:
        session.add(
            MessageLink(
                message_id=message_id(session, message),
                platform=event.thread.platform,
                channel=event.thread.channel,
                external_id=event.message_id,
                created_at=self.ctx.clock.now(),
            )
        )

    def _edited(self, session: Session, event: ThreadMessageEdited) -> None:
        message = self._agent_copy(session, event.platform, event.message_id)
        if message is None:
            return None
        prefix = self.ctx.config.chat.reply_prefix
        text = event.text.strip()
        if message.author == "agent" and text.lower().startswith(prefix):
            text = text[len(prefix) :].strip()
        message.body = text
        message.edited_at = self.ctx.clock.now()
        self._audit_change(session, message, event.agent, "edit")
        return None

    def _deleted(self, session: Session, event: ThreadMessageDeleted) -> None:
        message = self._agent_copy(session, event.platform, event.message_id)
        if message is None:
            return None
        message.deleted_at = self.ctx.clock.now()
        self._audit_change(session, message, event.agent, "delete")
        return None

    @staticmethod
    def _agent_copy(session: Session, platform: str, message_id: str) -> Message | None:
        """Our copy of an agent's chat message; shop and bot messages are never changed."""
        message = repo.message_by_external(session, platform, message_id)
        return message if message is not None and message.author in ("agent", "note") else None

    def _audit_change(self, session: Session, message: Message, agent: Agent, action: str) -> None:
        session.add(message)
        repo.audit(
            session,
            ticket_id=message.ticket_id,
            actor=agent.actor,
            action=action,
            now=self.ctx.clock.now(),
            message_id=message.id,
        )

    # -- commands ---------------------------------------------------------------------------

    def _command(self, session: Session, event: AgentCommand) -> CommandReply:
        ticket = None
        if event.ticket_id is not None:
            ticket = session.get(Ticket, event.ticket_id)
        elif event.thread is not None:
            ref = event.thread
            link = repo.thread_by_ref(session, ref.platform, ref.channel, ref.thread_id)
            ticket = session.get(Ticket, link.ticket_id) if link else None
        return self._run_command(session, ticket, event)

    def _run_command(
        self, session: Session, ticket: Ticket | None, command: AgentCommand
    ) -> CommandReply:
        chat = self.ctx.config.chat
        if command.name == "stats" and self.stats is not None:
            return CommandReply(self.stats())
        if command.name not in COMMANDS or command.name in ("help", "stats"):
            return CommandReply(
                HELP.format(note=chat.note_prefix, reply=chat.reply_prefix),
                ok=command.name == "help",
            )
        if ticket is None or ticket.status == "purged":
            return CommandReply("No ticket here: use the command in a ticket's thread.", ok=False)
        try:
            return self._ticket_command(session, ticket, command)
        except InvalidTransition as error:
            return CommandReply(f"Ticket #{ticket.id}: {error}.", ok=False)

    def _ticket_command(
        self, session: Session, ticket: Ticket, command: AgentCommand
    ) -> CommandReply:
        now = self.ctx.clock.now()
        actor = command.agent.actor
        name, args = command.name, command.args
        if name in ("resolve", "reopen"):
            action = Action.RESOLVE if name == "resolve" else Action.REOPEN
            transition(session, ticket, action, actor=actor, now=now)
            body = texts.RESOLVED if name == "resolve" else texts.REOPENED
            done = "resolved" if name == "resolve" else "reopened"
            bot_says(session, ticket, body, kind=done, now=now, ctx=self.ctx)
            reply = f"Ticket #{ticket.id} {done} by {command.agent.display_name}."
        elif name == "priority":
            if not args or args[0].lower() not in ("critical", "normal"):
                return CommandReply("Usage: priority critical|normal", ok=False)
            ticket.priority = args[0].lower()
            reply = f"Ticket #{ticket.id} priority: {ticket.priority}."
        elif name in ("claim", "assign"):
            if name == "assign" and not args:
                return CommandReply("Usage: assign <user>", ok=False)
            ticket.assignee = command.agent.display_name if name == "claim" else " ".join(args)
            reply = f"Ticket #{ticket.id} assigned to {ticket.assignee}."
        else:  # article
            article = self.ctx.triager.article(args[0]) if args else None
            if article is None:
                return CommandReply("Usage: article <id> (an id from the help center)", ok=False)
            bot_says(
                session,
                ticket,
                texts.ARTICLE.format(title=article.title, url=article.url),
                kind="article",
                now=now,
                ctx=self.ctx,
                article=article.article_id,
            )
            reply = f"Article {article.article_id} sent to the shop."
        ticket.updated_at = now
        session.add(ticket)
        if name not in ("resolve", "reopen"):  # transition() has audited those
            repo.audit(
                session, ticket_id=ticket.id, actor=actor, action=name, now=now, args=list(args)
            )
        enqueue_root_update(session, ticket, ctx=self.ctx, now=now)
        return CommandReply(reply)
