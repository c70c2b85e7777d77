"""A room the bot left or a token the homeserver forgot: deliveries wait, then arrive once."""

import asyncio

import httpx
from nio import RoomLeaveResponse
from sqlmodel import col, select

from bot.config import Secrets
from bot.vocabulary import OutboxState
from pomoc.runtime import Runtime, build_core
from storage import blocks as block_rows
from storage.models import OutboxItem
from tests.fakes.triage import KeywordTriager
from tests.matrix.conftest import PASSWORD, eventually


def blocks(services) -> list[tuple[str, str, str]]:
    with services.db.transaction() as session:
        return [(b.platform, b.channel, b.code) for b in block_rows.blocked_channels(session)]


def states(services) -> set[str]:
    with services.db.transaction() as session:
        return {
            item.state for item in session.exec(select(OutboxItem).order_by(col(OutboxItem.id)))
        }


async def probing(matrix, check, *, timeout: float = 30):
    """Wait for `check`, moving the fake clock so blocked channels get probed meanwhile."""

    async def advanced():
        matrix.clock.advance(seconds=30)
        return await check()

    return await eventually(advanced, timeout=timeout)


async def test_a_room_the_bot_left_holds_its_deliveries_until_it_is_invited_back(matrix):
    services = matrix.services
    ticket = await matrix.open_ticket("Przed wyjsciem")
    root = await matrix.root(ticket)
    left = await matrix.adapter.client.room_leave(matrix.room_id)
    assert isinstance(left, RoomLeaveResponse), left
    await matrix.shop_writes(ticket, "Pierwsza po wyjsciu")
    await matrix.shop_writes(ticket, "Druga po wyjsciu")
    later = await matrix.open_ticket("W czasie awarii")

    async def blocked():
        return ("matrix", matrix.room_id, "M_FORBIDDEN") in blocks(services) or None

    await eventually(blocked)
    assert OutboxState.PENDING in states(services)

    # Anna invites the bot back; it joins (a configured room) and the next probe delivers.
    await matrix.anna.client.room_invite(matrix.room_id, matrix.adapter.user_id)

    async def delivered():
        return states(services) == {OutboxState.DONE} or None

    await probing(matrix, delivered)
    first = await matrix.in_thread(root, lambda m: "Pierwsza po wyjsciu" in m.body)
    second = await matrix.in_thread(root, lambda m: "Druga po wyjsciu" in m.body)
    bodies = [m.body for m in matrix.anna.seen if m.thread_root == root.event_id]
    assert bodies.index(first.body) < bodies.index(second.body)
    assert sum("Pierwsza po wyjsciu" in b for b in bodies) == 1
    await matrix.root(later)
    assert blocks(services) == []


async def test_a_forgotten_token_holds_every_room_until_pomoc_runs_with_a_new_one(
    matrix, homeserver
):
    services = matrix.services
    token = matrix.adapter.client.access_token
    response = httpx.post(
        f"{homeserver.url}/_matrix/client/v3/logout",
        headers={"Authorization": f"Bearer {token}"},
        json={},
    )
    assert response.status_code == 200
    ticket = await matrix.open_ticket("Po wylogowaniu")

    async def blocked():
        return ("matrix", "*", "M_UNKNOWN_TOKEN") in blocks(services) or None

    await eventually(blocked)
    await matrix.stop_pomoc()

    # The operator logs the bot in again and restarts Pomoc with the new token.
    localpart = matrix.adapter.user_id.split(":")[0][1:]
    _, fresh = await asyncio.to_thread(homeserver.login, localpart, PASSWORD)
    secrets = Secrets.from_env({"POMOC_MATRIX_ACCESS_TOKEN": fresh})
    core = build_core(
        services.config, secrets, clock=matrix.clock, triager=KeywordTriager(), migrate=False
    )
    matrix.runtime = Runtime(core)
    matrix.adapter = matrix.runtime.adapters["matrix"]
    matrix.adapter.poll_timeout_ms = 2000
    await matrix.start_pomoc()
    try:

        async def delivered():
            return states(services) == {OutboxState.DONE} or None

        await probing(matrix, delivered)
        await matrix.root(ticket)
    finally:
        await matrix.stop_pomoc()
        core.db.dispose()
