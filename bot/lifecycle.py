"""The ticket lifecycle as one explicit state machine."""

# new -> suggested -> queued -> open <-> waiting -> resolved -> purged, with reopen. Every status
# change in Pomoc goes through `next_status`; the table below is the whole truth.

from enum import StrEnum

from bot.errors import InvalidTransition


class Status(StrEnum):
    NEW = "new"
    SUGGESTED = "suggested"  # help-center articles offered, waiting for the owner's feedback
    QUEUED = "queued"  # outside support hours, released when support opens
    OPEN = "open"  # in the agents' chat, the shop waits for an answer
    WAITING = "waiting"  # an agent answered, support waits for the shop
    RESOLVED = "resolved"
    PURGED = "purged"


class Action(StrEnum):
    SUGGEST = "suggest"
    QUEUE = "queue"
    ESCALATE = "escalate"
    AGENT_REPLY = "agent_reply"
    SHOP_REPLY = "shop_reply"
    RESOLVE = "resolve"
    REOPEN = "reopen"
    PURGE = "purge"


S, A = Status, Action
TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (S.NEW, A.SUGGEST): S.SUGGESTED,
    (S.NEW, A.QUEUE): S.QUEUED,
    (S.NEW, A.ESCALATE): S.OPEN,
    (S.NEW, A.RESOLVE): S.RESOLVED,
    (S.SUGGESTED, A.QUEUE): S.QUEUED,
    (S.SUGGESTED, A.ESCALATE): S.OPEN,
    (S.SUGGESTED, A.SHOP_REPLY): S.SUGGESTED,
    (S.SUGGESTED, A.RESOLVE): S.RESOLVED,
    (S.QUEUED, A.ESCALATE): S.OPEN,
    (S.QUEUED, A.SHOP_REPLY): S.QUEUED,
    (S.QUEUED, A.AGENT_REPLY): S.WAITING,
    (S.QUEUED, A.RESOLVE): S.RESOLVED,
    (S.OPEN, A.AGENT_REPLY): S.WAITING,
    (S.OPEN, A.SHOP_REPLY): S.OPEN,
    (S.OPEN, A.RESOLVE): S.RESOLVED,
    (S.WAITING, A.AGENT_REPLY): S.WAITING,
    (S.WAITING, A.SHOP_REPLY): S.OPEN,
    (S.WAITING, A.RESOLVE): S.RESOLVED,
    # A shop writing into a resolved ticket reopens it rather than losing the message.
    (S.RESOLVED, A.SHOP_REPLY): S.OPEN,
    (S.RESOLVED, A.REOPEN): S.OPEN,
    (S.RESOLVED, A.PURGE): S.PURGED,
}

# Statuses whose ticket is in the agents' chat (a thread exists or is being opened).
ESCALATED = frozenset({S.OPEN, S.WAITING})
ACTIVE = frozenset({S.NEW, S.SUGGESTED, S.QUEUED, S.OPEN, S.WAITING})


def next_status(status: Status | str, action: Action) -> Status:
    """The status after `action`, or InvalidTransition when the table forbids it."""
    try:
        return TRANSITIONS[(Status(status), action)]
    except KeyError:
        raise InvalidTransition(str(status), str(action)) from None


def allowed_actions(status: Status | str) -> list[Action]:
    return [action for (state, action) in TRANSITIONS if state == Status(status)]
