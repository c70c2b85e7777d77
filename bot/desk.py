"""The agents' side: inbound chat events become replies, notes, edits and commands."""

# Each event is claimed by id and applied in one transaction, so a redelivered event is a no-op
# and a crash mid-way leaves it unclaimed for the retry.

import asyncio
from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session

from bot import catalogue as cat
from bot import commands, richtext
from bot.agent_commands import Request, run_command
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
    ThreadRef,
)
from bot.housekeeping import delete_unused_files
from bot.lifecycle import Action, allowed_actions
from bot.moving import pointer
from bot.outbox import announce, department_target, enqueue_root_update
from bot.richtext import RichText
from bot.ticketing import add_message, touch, transition
from bot.uploads import CheckedFile, check_files
from bot.vocabulary import Author, ChannelId, Platform, Source, ThreadId
from storage import delivery
from storage import repositories as repo
from storage.db import after_commit
from storage.models import FormerThread, Message, MessageLink, Ticket

# How long a reply may wait for its thread to be recorded: the platform has already answered
# the worker by then, so the wait is normally milliseconds.
THREAD_WAIT_SECONDS = 10.0
THREAD_POLL_SECONDS = 0.1
SENDER = "sender"  # in an agent's chat message's `extra`: their platform user id


class AgentDesk:
    def __init__(self, ctx: Context, *, stats: Callable[[], str] | None = None) -> None:
        self.ctx = ctx
        self.db = ctx.db
        self.stats = stats
        self.language = ctx.config.chat.language

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
        reply: CommandReply | None = None
        freed: set[str] = set()  # files of deleted messages, removed once the rows are gone
        with self.db.transaction() as session:
            if not repo.claim_inbound(session, event.platform, event.event_id, now):
                return None
            match event:
                case ThreadMessage():
                    reply = self._thread_message(session, event)
                case ThreadMessageEdited():
                    reply = self._edited(session, event)
                case ThreadMessageDeleted():
                    freed = self._deleted(session, event)
                case AgentCommand():
                    reply = self._command(session, event)
                case ChannelUnreadable():
                    self._unreadable(session, event, now)
        delete_unused_files(self.ctx, freed)
        return reply

    def _unreadable(self, session: Session, event: ChannelUnreadable, now: datetime) -> None:
        """Tell the managers, once a day per channel while agents keep writing there."""
        day = now.astimezone(self.ctx.hours.zone).date()
        announce(
            session,
            self.ctx.config,
            key=f"unreadable:{event.platform}:{event.channel}:{day}",
            text=cat.text(
                cat.UNREADABLE,
                self.language,
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
            former = repo.former_thread(session, ref.platform, ref.channel, ref.thread_id)
            if former is not None:
                return self._in_former_thread(session, former, event)
            if delivery.thread_opening(session, ref.platform, ref.channel, self.ctx.clock.now()):
                raise ThreadNotReady(f"{ref.platform} thread {ref.thread_id}")
            return None  # a thread that is not a ticket's
        ticket = session.get(Ticket, link.ticket_id)
        if ticket is None:
            return None
        chat = self.ctx.config.chat
        text = event.text.strip()
        lowered = text.lower()
        if lowered.startswith(chat.note_prefix):
            self._note(session, ticket, event, richtext.strip_prefix(event.rich, chat.note_prefix))
            return None
        if lowered.startswith(chat.reply_prefix):
            rich = richtext.strip_prefix(event.rich, chat.reply_prefix)
            return self._reply(session, ticket, event, rich)
        command = commands.parse_line(text, chat.command_prefix)
        if command is not None:
            request = Request(event.agent, command, mentions=event.mentions)
            return self._run(session, ticket, request)
        if event.via_reply_action:
            return self._reply(session, ticket, event, event.rich)
        if self.ctx.config.department(ticket.department).relay_mode == "all":
            if not event.to_colleague:
                return self._reply(session, ticket, event, event.rich)
            self._note(session, ticket, event, event.rich)
            return CommandReply(cat.text(cat.KEPT_INTERNAL, self.language, reply=chat.reply_prefix))
        self._note(session, ticket, event, event.rich)
        return None

    def _in_former_thread(
        self, session: Session, former: FormerThread, event: ThreadMessage
    ) -> CommandReply:
        """The ticket moved away from this thread: the agent is told where it is now. What they
        wrote is no reply (the new department has the ticket) but is kept as a note, so it is
        not lost; a command is not run."""
        chat = self.ctx.config.chat
        lowered = event.text.strip().lower()
        prefix = next(
            (p for p in (chat.note_prefix, chat.reply_prefix) if lowered.startswith(p)), ""
        )
        if not prefix and commands.is_command_line(event.text, chat.command_prefix):
            return pointer(session, self.ctx, former, kept_as_note=False)
        ticket = session.get(Ticket, former.ticket_id)
        assert ticket is not None  # a purged ticket's former threads go with it
        rich = richtext.strip_prefix(event.rich, prefix) if prefix else event.rich
        self._note(session, ticket, event, rich)
        return pointer(session, self.ctx, former, kept_as_note=True)

    def _note(self, session: Session, ticket: Ticket, event: ThreadMessage, rich: RichText) -> None:
        files, _refused = self._acceptable_files(event)  # kept for the agents' ticket page
        self._store(
            session, ticket, event, rich, author=Author.NOTE, files=files, now=self.ctx.clock.now()
        )

    def _reply(
        self, session: Session, ticket: Ticket, event: ThreadMessage, rich: RichText
    ) -> CommandReply | None:
        text = rich.plain.strip()
        files, refused = self._acceptable_files(event)
        refused += [cat.text(cat.FILE_UNREADABLE, self.language, name=n) for n in event.unavailable]
        notice = (
            CommandReply(
                cat.text(cat.FILES_NOT_SENT, self.language, files=", ".join(refused)), False
            )
            if refused
            else None
        )
        if not text and not files:
            return notice
        now = self.ctx.clock.now()
        self._answered(session, ticket, event.agent, now)
        self._store(session, ticket, event, rich, author=Author.AGENT, files=files, now=now)
        enqueue_root_update(session, ticket, config=self.ctx.config, now=now)
        if event.sent_at is not None:
            self._measure_relay(session, event.platform, event.sent_at)
        return notice

    def _measure_relay(self, session: Session, platform: Platform, sent_at: datetime) -> None:
        """From the agent's message on the platform to the reply stored for the shop; a
        platform clock ahead of ours counts as no delay."""

        def observe() -> None:
            delay = (self.ctx.clock.now() - sent_at).total_seconds()
            self.ctx.telemetry.relayed(platform, max(0.0, delay))

        after_commit(session, observe)

    def _store(
        self,
        session: Session,
        ticket: Ticket,
        event: ThreadMessage,
        rich: RichText,
        *,
        author: Author,
        files: list[CheckedFile],
        now: datetime,
    ) -> None:
        """The agent's chat message as a message of the ticket, linked to its chat copy."""
        message = add_message(
            session,
            ticket,
            author=author,
            author_name=event.agent.display_name,
            body=rich.plain.strip(),
            now=now,
            ctx=self.ctx,
            source=Source(event.platform),
            extra={SENDER: event.agent.user_id},
            files=files,
        )
        message.body_html = rich.html
        self._link(session, message, event)

    def _answered(self, session: Session, ticket: Ticket, agent: Agent, now: datetime) -> None:
        """An agent answered the shop: the state machine's reply step (where the status has
        one) and the time of the first response."""
        if Action.AGENT_REPLY in allowed_actions(ticket.status):
            transition(session, ticket, Action.AGENT_REPLY, actor=agent.actor, now=now)
        if ticket.first_response_at is None:
            ticket.first_response_at = now
            waited = (now - ticket.created_at).total_seconds()
            after_commit(session, lambda: self.ctx.telemetry.first_response(waited))

    def _acceptable_files(self, event: ThreadMessage) -> tuple[list[CheckedFile], list[str]]:
        """The files the shop may receive, and why each of the others may not."""
        limits = self.ctx.config.attachments
        accepted: list[CheckedFile] = []
        refused: list[str] = []
        for item in event.files:
            if len(accepted) >= limits.max_files:
                refused.append(cat.text(cat.FILE_COUNT, self.language, name=item.filename))
                continue
            try:
                accepted += check_files([item], limits)
            except ValidationFailed:
                if len(item.data) > limits.max_bytes:
                    mb = limits.max_bytes // (1024 * 1024)
                    refused.append(
                        cat.text(cat.FILE_SIZE, self.language, name=item.filename, mb=mb)
                    )
                else:
                    refused.append(cat.text(cat.FILE_TYPE, self.language, name=item.filename))
        return accepted, refused

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

    # -- edits and deletions ------------------------------------------------------------------

    def _edited(self, session: Session, event: ThreadMessageEdited) -> CommandReply | None:
        """Mirror the edit; one that adds the note prefix withdraws a reply from the shop, one
        that adds the reply prefix to a note publishes it."""
        message = self._agent_copy(session, event)
        if message is None:
            return None
        chat = self.ctx.config.chat
        lowered = event.text.strip().lower()
        now = self.ctx.clock.now()
        if message.author == Author.AGENT and lowered.startswith(chat.note_prefix):
            self._rewrite(message, richtext.strip_prefix(event.rich, chat.note_prefix))
            message.author = Author.NOTE
            self._audit_change(session, message, event.agent, "withdraw")
            return self._told(session, message, cat.WITHDRAWN)
        if message.author == Author.NOTE and lowered.startswith(chat.reply_prefix):
            self._publish(
                session, message, event, richtext.strip_prefix(event.rich, chat.reply_prefix)
            )
            return self._told(session, message, cat.PUBLISHED)
        own_prefix = chat.reply_prefix if message.author == Author.AGENT else chat.note_prefix
        self._rewrite(message, richtext.strip_prefix(event.rich, own_prefix))
        message.edited_at = now
        self._audit_change(session, message, event.agent, "edit")
        return None

    @staticmethod
    def _rewrite(message: Message, rich: RichText) -> None:
        message.body, message.body_html = rich.plain.strip(), rich.html

    def _publish(
        self, session: Session, message: Message, event: ThreadMessageEdited, rich: RichText
    ) -> None:
        """A note becomes a reply: for the shop it is a new message, so it is not "edited"."""
        ticket = session.get(Ticket, message.ticket_id)
        if ticket is None:
            return
        now = self.ctx.clock.now()
        self._rewrite(message, rich)
        message.author, message.edited_at = Author.AGENT, None
        self._answered(session, ticket, event.agent, now)
        touch(session, ticket, message, now=now)
        self._audit_change(session, message, event.agent, "publish")
        enqueue_root_update(session, ticket, config=self.ctx.config, now=now)

    def _told(self, session: Session, message: Message, entry: cat.Entry) -> CommandReply:
        """The agent's answer about their message, in the thread it lives in."""
        link = repo.thread_for_ticket(session, message.ticket_id)
        thread = None
        if link is not None:
            thread = ThreadRef(link.platform, ChannelId(link.channel), ThreadId(link.thread_id))
        return CommandReply(cat.text(entry, self.language), thread=thread)

    def _deleted(self, session: Session, event: ThreadMessageDeleted) -> set[str]:
        """The message goes for the shop, and its files with it; returns their storage keys."""
        message = self._agent_copy(session, event)
        if message is None:
            return set()
        message.deleted_at = self.ctx.clock.now()
        self._audit_change(session, message, event.agent, "delete")
        return repo.delete_message_files(session, repo.row_id(message))

    @staticmethod
    def _agent_copy(
        session: Session, event: ThreadMessageEdited | ThreadMessageDeleted
    ) -> Message | None:
        """Our copy of the chat message the event's agent wrote there themselves. What Pomoc
        posted (shop messages, its activity lines, panel replies) and other agents' messages
        are never changed: Matrix delivers anyone's `m.replace` or redaction of any event."""
        message = repo.message_by_external(session, event.platform, event.message_id)
        if message is None or message.author not in (Author.AGENT, Author.NOTE):
            return None
        if message.extra.get(SENDER) != event.agent.user_id:
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
            if (
                link is None
                and (
                    former := repo.former_thread(session, ref.platform, ref.channel, ref.thread_id)
                )
                is not None
            ):
                return pointer(session, self.ctx, former, kept_as_note=False)
        if ticket is not None and not self._may_act(session, ticket, event.member_of):
            refusal = cat.text(cat.NOT_YOUR_CHANNEL, self.language, id=ticket.id)
            return CommandReply(refusal, ok=False)
        # Only a command naming no ticket at all lists the channel's tickets to pick from.
        listing = event.channel if event.ticket_id is None and event.thread is None else None
        request = Request(event.agent, event.command, mentions=event.mentions, channel=listing)
        return self._run(session, ticket, request)

    def _may_act(
        self, session: Session, ticket: Ticket, member_of: frozenset[ChannelId] | None
    ) -> bool:
        """An agent acts only on tickets of a channel they are a member of."""
        if member_of is None:
            return True
        link = repo.thread_for_ticket(session, repo.row_id(ticket))
        target = (
            (link.platform, link.channel) if link else department_target(ticket, self.ctx.config)
        )
        return target is not None and target[1] in member_of

    def _run(self, session: Session, ticket: Ticket | None, request: Request) -> CommandReply:
        return run_command(session, self.ctx, ticket=ticket, request=request, stats=self.stats)
