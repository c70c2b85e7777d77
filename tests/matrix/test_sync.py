"""Who may act on Matrix, decided from the config and nio's room state (no homeserver needed)."""

import asyncio
from pathlib import Path
from types import SimpleNamespace

from adapters.matrix.inbound import MatrixSync, configured_rooms
from tests.conftest import make_config

BOT = "@pomoc:test"


def sync_for(tmp_path: Path, **matrix: object) -> MatrixSync:
    config = make_config("sqlite://", tmp_path, matrix={"user_id": BOT, **matrix})
    rooms = {
        "!payments:test": SimpleNamespace(users={BOT: 0, "@anna:test": 0}),
        "!agents:test": SimpleNamespace(users={"@bartek:test": 0}),
    }
    client = SimpleNamespace(user_id=BOT, rooms=rooms)
    return MatrixSync(
        client,
        config=config,
        tokens=None,
        on_event=None,
        send=None,
        may_sync=lambda: True,
        synced=asyncio.Event(),
        poll_timeout_ms=0,
        timeline_limit=10,
    )


def test_with_no_agent_list_members_of_the_configured_rooms_act(tmp_path: Path):
    sync = sync_for(tmp_path)
    assert configured_rooms(sync.config) == {"!payments:test", "!support:test"}
    assert sync.allowed("@anna:test")
    assert not sync.allowed("@bartek:test")  # only in a room Pomoc was not given
    assert not sync.allowed(BOT)  # our own echoes


def test_an_agent_list_or_agent_rooms_replace_room_membership(tmp_path: Path):
    listed = sync_for(tmp_path, agents=["@ewa:test"])
    assert listed.allowed("@ewa:test") and not listed.allowed("@anna:test")
    by_room = sync_for(tmp_path, agent_rooms=["!agents:test"])
    assert by_room.allowed("@bartek:test") and not by_room.allowed("@anna:test")
    assert not sync_for(tmp_path, agents=[BOT]).allowed(BOT)
