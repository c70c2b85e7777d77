"""Recorded Slack payloads (tests/data/payloads/slack) with their ids mapped onto a test's."""

import json
from pathlib import Path

from tests.slack.conftest import ANNA, BASIA, SUPPORT

PAYLOADS = Path(__file__).resolve().parents[1] / "data" / "payloads" / "slack"
RECORDED_ROOT = "1718000000.000100"


def recorded(name: str, *, thread_ts: str, **ids: str) -> dict:
    """The `event` of a recorded envelope, in our channel, thread and people.

    The fixtures' agents U0AGENT0001/U0AGENT0002 become Anna and Basia, the support channel
    ours, the recorded thread root the test's."""
    mapping = {
        "U0AGENT0001": ANNA,
        "U0AGENT0002": BASIA,
        "C0WSPARCIE1": SUPPORT,
        RECORDED_ROOT: thread_ts,
        **ids,
    }
    text = (PAYLOADS / name).read_text()
    for old, new in mapping.items():
        text = text.replace(old, new)
    return json.loads(text)["event"]
