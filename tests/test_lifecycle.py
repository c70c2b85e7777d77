"""The ticket state machine."""

import pytest

from bot.errors import InvalidTransition
from bot.lifecycle import TRANSITIONS, Action, Status, allowed_actions, next_status


def test_the_happy_path():
    status = Status.NEW
    for action, expected in [
        (Action.SUGGEST, Status.SUGGESTED),
        (Action.QUEUE, Status.QUEUED),
        (Action.ESCALATE, Status.OPEN),
        (Action.AGENT_REPLY, Status.WAITING),
        (Action.SHOP_REPLY, Status.OPEN),
        (Action.RESOLVE, Status.RESOLVED),
        (Action.REOPEN, Status.OPEN),
        (Action.RESOLVE, Status.RESOLVED),
        (Action.PURGE, Status.PURGED),
    ]:
        status = next_status(status, action)
        assert status == expected


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (Status.PURGED, Action.REOPEN),
        (Status.PURGED, Action.SHOP_REPLY),
        (Status.OPEN, Action.PURGE),
        (Status.NEW, Action.REOPEN),
        (Status.RESOLVED, Action.RESOLVE),
        (Status.OPEN, Action.QUEUE),
    ],
)
def test_forbidden_transitions_raise(status, action):
    with pytest.raises(InvalidTransition) as error:
        next_status(status, action)
    assert error.value.status == status and error.value.action == action


def test_purged_is_terminal_and_every_other_status_can_be_left():
    assert allowed_actions(Status.PURGED) == []
    for status in Status:
        if status != Status.PURGED:
            assert allowed_actions(status), status


def test_only_resolved_tickets_are_purged():
    assert [s for (s, a) in TRANSITIONS if a == Action.PURGE] == [Status.RESOLVED]
