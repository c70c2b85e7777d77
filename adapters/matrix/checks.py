"""`pomoc check` for Matrix: the bot's identity; in each room: joined, may write, unencrypted."""

from collections.abc import Collection
from typing import Any

from nio import (
    AsyncClient,
    JoinedRoomsResponse,
    RoomGetStateResponse,
    RoomRedactResponse,
    RoomSendResponse,
    WhoamiResponse,
)

from adapters.matrix.outbound import NETWORK_ERRORS
from bot.channels import fix_for
from bot.checks import Check

TEST_TEXT = "Test Pomocy: sprawdzam, czy mogę tu pisać. Ta wiadomość zaraz zniknie."


async def _room_state(client: AsyncClient, room: str) -> dict[str, dict[str, Any]]:
    """The room's state events by type (state key ""), each the whole event."""
    response = await client.room_get_state(room)
    if not isinstance(response, RoomGetStateResponse):
        raise LookupError(f"room state: {getattr(response, 'status_code', response)}")
    return {e["type"]: e for e in response.events if e.get("state_key") == ""}


def _may(state: dict[str, dict[str, Any]], user: str, *, event: str, redact: bool) -> bool:
    create = state.get("m.room.create", {})
    # Room version 12: the creators hold unlimited power and are not listed in power levels.
    creators = {create.get("sender"), *create.get("content", {}).get("additional_creators", [])}
    if create.get("content", {}).get("room_version") == "12" and user in creators:
        return True
    levels = state.get("m.room.power_levels", {}).get("content", {})
    mine = int((levels.get("users") or {}).get(user, levels.get("users_default", 0)))
    send = int((levels.get("events") or {}).get(event, levels.get("events_default", 0)))
    needed = max(send, int(levels.get("redact", 50))) if redact else send
    return mine >= needed


async def _room(client: AsyncClient, room: str, joined: set[str], *, send_test: bool) -> Check:
    name = f"matrix room {room}"
    if room not in joined:
        return Check(name, False, "the bot has not joined it", fix_for("M_FORBIDDEN"))
    try:
        state = await _room_state(client, room)
    except LookupError as error:
        return Check(name, False, str(error), fix_for("M_FORBIDDEN"))
    if "m.room.encryption" in state:
        return Check(
            name,
            False,
            "end-to-end encrypted: Pomoc cannot read agents' replies there",
            "move the department to an unencrypted room",
        )
    if not _may(state, client.user_id, event="m.room.message", redact=True):
        return Check(name, False, "the bot may not write or redact", "raise the bot's power level")
    if send_test:
        sent = await client.room_send(
            room, "m.room.message", {"msgtype": "m.notice", "body": TEST_TEXT}
        )
        if not isinstance(sent, RoomSendResponse):
            return Check(name, False, f"test message: {sent}", fix_for("M_FORBIDDEN"))
        redacted = await client.room_redact(room, sent.event_id, reason="pomoc check")
        if not isinstance(redacted, RoomRedactResponse):
            return Check(name, False, f"test redaction: {redacted}", "raise the bot's power level")
        return Check(name, True, "joined; test message sent and redacted")
    return Check(name, True, "joined, may write and redact, not encrypted")


async def matrix_checks(
    client: AsyncClient, *, rooms: Collection[str], send_test: bool = False
) -> list[Check]:
    """`client` carries the bot's access token (or has logged in)."""
    try:
        who = await client.whoami()
    except NETWORK_ERRORS as error:
        return [Check("matrix token", False, f"homeserver unreachable: {error!r}", "check the URL")]
    if not isinstance(who, WhoamiResponse):
        code = str(getattr(who, "status_code", who))
        return [Check("matrix token", False, code, fix_for(code))]
    client.user_id = who.user_id
    checks = [Check("matrix token", True, f"{who.user_id} on {client.homeserver}")]
    response = await client.joined_rooms()
    joined = set(response.rooms) if isinstance(response, JoinedRoomsResponse) else set()
    for room in sorted(rooms):
        checks.append(await _room(client, room, joined, send_test=send_test))
    return checks
