"""The domain's vocabulary: priorities, authors, platforms, actors, outbox terms and typed ids."""

from dataclasses import dataclass
from enum import StrEnum
from typing import NewType

# Row ids of our own tables, where they cross module boundaries.
TicketId = NewType("TicketId", int)
ShopId = NewType("ShopId", int)
MessageId = NewType("MessageId", int)
AttachmentId = NewType("AttachmentId", int)
# Ids a chat platform chose; compared, never parsed (Matrix room ids have no fixed shape).
ChannelId = NewType("ChannelId", str)  # Slack channel id or Matrix room id
ThreadId = NewType("ThreadId", str)  # Slack thread_ts or the Matrix root event id
ExternalId = NewType("ExternalId", str)  # a message on a platform: Slack ts, Matrix event id
EventId = NewType("EventId", str)  # an inbound event, the dedupe key
UserId = NewType("UserId", str)  # Slack user id or Matrix id


class Priority(StrEnum):
    CRITICAL = "critical"  # the shop cannot sell or handle orders: handled at any hour
    NORMAL = "normal"


class Author(StrEnum):
    """Who wrote a message of a ticket's conversation."""

    SHOP = "shop"
    AGENT = "agent"
    BOT = "bot"  # Pomoc itself, to the shop
    NOTE = "note"  # internal: agents only, never the shop


class Source(StrEnum):
    """Where a message was written."""

    PANEL = "panel"
    SLACK = "slack"
    MATRIX = "matrix"
    SYSTEM = "system"


class Platform(StrEnum):
    """Where the outbox delivers: a chat platform, or the shop platform's backend (webhooks)."""

    SLACK = "slack"
    MATRIX = "matrix"
    WEBHOOK = "webhook"  # signed HTTP events to the shop platform; never a chat thread


class Operation(StrEnum):
    """What an outbox item asks a chat platform to do."""

    OPEN_THREAD = "open_thread"
    POST = "post"
    UPDATE_ROOT = "update_root"
    LEAVE_THREAD = "leave_thread"
    ANNOUNCE = "announce"
    WEBHOOK = "webhook"


class OutboxState(StrEnum):
    PENDING = "pending"
    DONE = "done"
    DEAD = "dead"  # gave up: a human must look (`pomoc outbox list --state dead`)
    REPLACED = "replaced"  # queued again under a new root (the old one was deleted)
    DROPPED = "dropped"  # an operator gave it up (`pomoc outbox drop`, audited)


class ActorKind(StrEnum):
    SHOP = "shop"
    AGENT = "agent"
    SYSTEM = "system"
    OPERATOR = "operator"  # someone running `pomoc` commands on the server


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did something, as the audit log records it: `shop:12`, `agent:matrix:@a:hs`, `system`."""

    kind: ActorKind
    id: str = ""

    @classmethod
    def shop(cls, shop_id: int) -> "Actor":
        return cls(ActorKind.SHOP, str(shop_id))

    @classmethod
    def agent(cls, platform: Platform, user_id: str) -> "Actor":
        return cls(ActorKind.AGENT, f"{platform}:{user_id}")

    @classmethod
    def parse(cls, text: str) -> "Actor":
        kind, _, rest = text.partition(":")
        return cls(ActorKind(kind), rest)

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}" if self.id else str(self.kind)


SYSTEM = Actor(ActorKind.SYSTEM)
