"""The agents' side: inbound chat events become replies, notes, edits and commands."""

# Each event is claimed by id and applied in one transaction, so a redelivered event is a no-op
# and a crash mid-way leaves it unclaimed for the retry.

import asyncio
from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session

from bot import commands
from bot.agent_commands import run_command
from bot.context import Context
from bot.errors import ThreadNotReady, ValidationFailed
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
from bot.outbox import announce, enqueue_root_update
from bot.ticketing import add_message, transition
from bot.uploads import CheckedFile, check_files
from bot.vocabulary import Author, Platform, Source
from storage import repositories as repo
from storage.models import Message, MessageLink, Ticket

# How long a reply may wait for its thread to be recorded: the platform has already answered
# the worker by then, so the wait is normally milliseconds.
THREAD_WAIT_SECONDS = 10.0
THREAD_POLL_SECONDS = 0.1
UNREADABLE = (
    "⚠️ Pomoc cannot read {platform} room {channel} ({reason}): what {agent} and other agents "
    "write there never reaches the shops. Move the department to an unencrypted room."
)


class AgentDesk:
    def __init__(self, ctx: Context, *, stats: Callable[[], str] | None = None) -> None:
        self.ctx = ctx
        self.db = ctx.db
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
        now = self.ctx.clock.now()
        with self.db.transaction() as session:
            if not repo.claim_inbound(session, event.platform, event.event_id, now):
                return None
            match event:
                case ThreadMessage():
                    return self._thread_message(session, event)
                case ThreadMessageEdited():
                    self._edited(session, event)
                case ThreadMessageDeleted():
                    self._deleted(session, event)
                case AgentCommand():
                    return self._command(session, event)
                case ChannelUnreadable():
                    self._unreadable(session, event, now)
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
        if ticket is None:
            return None
        chat = self.ctx.config.chat
        text = event.text.strip()
        lowered = text.lower()
        if lowered.startswith(chat.note_prefix):
            self._note(session, ticket, event, text[len(chat.note_prefix) :])
            return None
        if lowered.startswith(chat.reply_prefix):
            return self._reply(session, ticket, event, text[len(chat.reply_prefix) :])
        command = commands.parse_line(text, chat.command_prefix)
        if command is not None:
            return self._run(session, ticket, event.agent, command)
        if (
            event.via_reply_action
            or self.ctx.config.department(ticket.department).relay_mode == "all"
        ):
            return self._reply(session, ticket, event, text)
        self._note(session, ticket, event, text)
        return None

    def _note(self, session: Session, ticket: Ticket, event: ThreadMessage, text: str) -> None:
        now = self.ctx.clock.now()
        message = add_message(
            session,
            ticket,
            author=Author.NOTE,
            author_name=event.agent.display_name,
            body=text.strip(),
            now=now,
            ctx=self.ctx,
            source=Source(event.platform),
        )
        self._link(session, message, event)

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
            author=Author.AGENT,
            author_name=event.agent.display_name,
            body=text,
            now=now,
            ctx=self.ctx,
            source=Source(event.platform),
            files=files,
        )
        self._link(session, message, event)
        enqueue_root_update(session, ticket, config=self.ctx.config, now=now)
        if refused:
            return CommandReply(
                f"Not sent to the shop (type or size not allowed): {refused}", False
            )
        return None

    def _acceptable_files(self, event: ThreadMessage) -> tuple[list[CheckedFile], str]:
        accepted: list[CheckedFile] = []
        refused: list[str] = []
        for item in event.files:
            try:
                accepted += check_files([item], self.ctx.config.attachments)
            except ValidationFailed:
                refused.append(item.filename)
        return accepted, ", ".join(refused)

    def _link(self, session: Session, message: Message, event: ThreadMessage) -> None:
        session.add(
            MessageLink(
                message_id=repo.flushed_id(session, message),
                platform=event.platform,
                channel=event.thread.channel,
                external_id=event.message_id,
                created_at=self.ctx.clock.now(),
            )
        )

    def _edited(self, session: Session, event: ThreadMessageEdited) -> None:
        message = self._agent_copy(session, event.platform, event.message_id)
        if message is None:
            return
        prefix = self.ctx.config.chat.reply_prefix
        text = event.text.strip()
        if message.author == Author.AGENT and text.lower().startswith(prefix):
            text = text[len(prefix) :].strip()
        message.body = text
        message.edited_at = self.ctx.clock.now()
        self._audit_change(session, message, event.agent, "edit")

    def _deleted(self, session: Session, event: ThreadMessageDeleted) -> None:
        message = self._agent_copy(session, event.platform, event.message_id)
        if message is None:
            return
        message.deleted_at = self.ctx.clock.now()
        self._audit_change(session, message, event.agent, "delete")

    @staticmethod
    def _agent_copy(session: Session, platform: Platform, message_id: str) -> Message | None:
        """Our copy of an agent's chat message; shop and bot messages are never changed."""
        message = repo.message_by_external(session, platform, message_id)
        if message is None or message.author not in (Author.AGENT, Author.NOTE):
            return None
        return message

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
        return self._run(session, ticket, event.agent, event.command)

    def _run(
        self, session: Session, ticket: Ticket | None, agent: Agent, command: commands.Command
    ) -> CommandReply:
        return run_command(
            session, self.ctx, ticket=ticket, agent=agent, command=command, stats=self.stats
        )
