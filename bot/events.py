"""Inbound chat events, normalised by each adapter's translate module into these dataclasses."""

# Raw Slack or Matrix payloads never cross into the core; the ids here are strings the adapter
# chose (Slack `ts`, Matrix event ids) and are only compared, never parsed.

from dataclasses import dataclass, field
from datetime import datetime

from bot.commands import Command
from bot.richtext import RichText
from bot.vocabulary import (
    Actor,
    ChannelId,
    EventId,
    ExternalId,
    Platform,
    ThreadId,
    TicketId,
    UserId,
)


@dataclass(frozen=True, slots=True)
class InboundFile:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class ThreadRef:
    """Where a ticket's conversation lives on one platform."""

    platform: Platform
    channel: ChannelId
    thread_id: ThreadId


@dataclass(frozen=True, slots=True)
class Agent:
    platform: Platform
    user_id: UserId
    display_name: str

    @property
    def actor(self) -> Actor:
        return Actor.agent(self.platform, self.user_id)


@dataclass(frozen=True, slots=True)
class ThreadMessage:
    """An agent wrote in a ticket's thread (a reply, a note or a command, decided by the core)."""

    event_id: EventId
    thread: ThreadRef
    message_id: ExternalId
    agent: Agent
    text: str
    files: tuple[InboundFile, ...] = field(default=())
    # Sent through an explicit "reply to shop" action (Slack shortcut, Matrix `!reply`).
    via_reply_action: bool = False
    # The same text with its formatting, as `bot.richtext` keeps it (None: plain text only).
    html: str | None = None
    # People the message mentions, resolved by the adapter (what `!assign @Basia` assigns).
    mentions: tuple[Agent, ...] = field(default=())
    # It opens by addressing a colleague ("@Tomek, can you look?"): chatter, not for the shop.
    to_colleague: bool = False
    # Files the adapter could not fetch (too large, unreachable): the agent is told.
    unavailable: tuple[str, ...] = field(default=())
    # When the platform stamped the message (Slack `ts`, Matrix `origin_server_ts`), for the
    # relay latency; None when the event carries no such time (a shortcut on an old message).
    sent_at: datetime | None = None

    @property
    def platform(self) -> Platform:
        return self.thread.platform

    @property
    def rich(self) -> RichText:
        return RichText(self.text, self.html)


@dataclass(frozen=True, slots=True)
class ThreadMessageEdited:
    event_id: EventId
    platform: Platform
    message_id: ExternalId
    agent: Agent
    text: str
    html: str | None = None

    @property
    def rich(self) -> RichText:
        return RichText(self.text, self.html)


@dataclass(frozen=True, slots=True)
class ThreadMessageDeleted:
    event_id: EventId
    platform: Platform
    message_id: ExternalId
    agent: Agent


@dataclass(frozen=True, slots=True)
class AgentCommand:
    """A command from a button, a slash command or a `!command` line outside a thread.

    `thread` locates the ticket when the command comes from a thread; `ticket_id` when the
    platform carries it (Slack button values, `/pomoc claim 42`).
    """

    event_id: EventId
    platform: Platform
    agent: Agent
    command: Command
    thread: ThreadRef | None = None
    ticket_id: TicketId | None = None
    # Where it was given (a slash command's channel): `claim` without a number lists its tickets.
    channel: ChannelId | None = None
    mentions: tuple[Agent, ...] = field(default=())
    # The channels whose tickets the agent may act on (those they are a member of), when the
    # command names its ticket from elsewhere (a button, `/pomoc resolve 42` in a DM); None when
    # it comes from the ticket's own thread.
    member_of: frozenset[ChannelId] | None = None


@dataclass(frozen=True, slots=True)
class ChannelUnreadable:
    """An agent wrote where Pomoc cannot read (an encrypted Matrix room): replies written there
    never reach the shop, so the managers must hear of it."""

    event_id: EventId
    platform: Platform
    channel: ChannelId
    agent: Agent
    reason: str


InboundEvent = (
    ThreadMessage | ThreadMessageEdited | ThreadMessageDeleted | AgentCommand | ChannelUnreadable
)


@dataclass(frozen=True, slots=True)
class TicketChoice:
    """A ticket an agent may pick (e.g. a button per open ticket of the channel)."""

    ticket_id: TicketId
    label: str


@dataclass(frozen=True, slots=True)
class CommandReply:
    """What the core answers an agent: shown to agents only (ephemeral on Slack)."""

    text: str
    ok: bool = True
    # Tickets to choose from, each offered with the command that asked (`claim`).
    choices: tuple[TicketChoice, ...] = ()
    # The thread the answer belongs in when the event did not carry one (an edit).
    thread: ThreadRef | None = None
