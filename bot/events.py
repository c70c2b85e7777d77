"""Inbound chat events, normalised by each adapter's translate module into these dataclasses.

Raw Slack or Matrix payloads never cross into the core; the ids here are strings the adapter
chose (Slack `ts`, Matrix event ids) and are only compared, never parsed.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class InboundFile:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class ThreadRef:
    """Where a ticket's conversation lives on one platform."""

    platform: str
    channel: str
    thread_id: str


@dataclass(frozen=True, slots=True)
class Agent:
    platform: str
    user_id: str
    display_name: str

    @property
    def actor(self) -> str:
        return f"agent:{self.platform}:{self.user_id}"


@dataclass(frozen=True, slots=True)
class ThreadMessage:
    """An agent wrote in a ticket's thread (a reply, a note or a command, decided by the core)."""

    event_id: str
    thread: ThreadRef
    message_id: str
    agent: Agent
    text: str
    files: tuple[InboundFile, ...] = field(default=())
    # Sent through an explicit "reply to shop" action (Slack shortcut, Matrix `!reply`).
    via_reply_action: bool = False


@dataclass(frozen=True, slots=True)
class ThreadMessageEdited:
    event_id: str
    platform: str
    message_id: str
    agent: Agent
    text: str


@dataclass(frozen=True, slots=True)
class ThreadMessageDeleted:
    event_id: str
    platform: str
    message_id: str
    agent: Agent


@dataclass(frozen=True, slots=True)
class AgentCommand:
    """A command from a button, a slash command or a `!command` line.

    `thread` locates the ticket when the command comes from a thread; `ticket_id` when the
    platform carries it (Slack button values, `/pomoc claim 42`).
    """

    event_id: str
    platform: str
    agent: Agent
    name: str  # claim / resolve / reopen / priority / assign / article / stats / help
    args: tuple[str, ...] = ()
    thread: ThreadRef | None = None
    ticket_id: int | None = None


@dataclass(frozen=True, slots=True)
class ChannelUnreadable:
    """An agent wrote where Pomoc cannot read (an encrypted Matrix room): replies written there
    never reach the shop, so the managers must hear of it."""

    event_id: str
    platform: str
    channel: str
    agent: Agent
    reason: str


InboundEvent = (
    ThreadMessage | ThreadMessageEdited | ThreadMessageDeleted | AgentCommand | ChannelUnreadable
)


@dataclass(frozen=True, slots=True)
class CommandReply:
    """What the core answers an agent: shown to agents only (ephemeral on Slack)."""

    text: str
    ok: bool = True
