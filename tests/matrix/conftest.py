"""One real Synapse per session; per test: fresh users, a department room and a running Pomoc."""

import asyncio
import itertools
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from nio import (
    JoinResponse,
    RoomMessageMedia,
    RoomMessageNotice,
)

from adapters.matrix.adapter import MatrixAdapter
from bot.config import Secrets
from pomoc.agent import MatrixAgent, SeenMessage
from pomoc.cli import create_shop
from pomoc.homeserver import Homeserver, synapse_python
from pomoc.runtime import Runtime, build_core
from tests.conftest import make_config
from tests.fakes.clock import FakeClock
from tests.fakes.triage import KeywordTriager
from tests.helpers import auth

PASSWORD = "haslo-testowe-123"
_names = itertools.count(1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def homeserver(tmp_path_factory: pytest.TempPathFactory):
    if not synapse_python().exists():
        pytest.fail(f"no Synapse at {synapse_python()}: run `make synapse`")
    server = Homeserver(tmp_path_factory.mktemp("synapse"), free_port())
    server.start()
    yield server
    server.stop()


async def eventually(check: Callable[[], Awaitable[object]], *, timeout: float = 15) -> object:
    """Poll `check` until it returns something truthy."""
    async with asyncio.timeout(timeout):
        while True:
            result = await check()
            if result:
                return result
            await asyncio.sleep(0.05)


@dataclass
class Harness:
    homeserver: Homeserver
    services: object
    runtime: Runtime
    adapter: MatrixAdapter
    room_id: str
    anna: MatrixAgent
    bartek: MatrixAgent
    stranger: MatrixAgent
    http: httpx.AsyncClient
    shop_token: str
    clock: FakeClock
    task: asyncio.Task | None = None
    names: dict[str, str] = field(default_factory=dict)
    # Departments with a room of their own (`build_harness(own_room=...)`): name -> room id.
    rooms: dict[str, str] = field(default_factory=dict)

    async def open_ticket(self, title: str, body: str = "Prosze o pomoc.", files=()) -> int:
        response = await self.http.post(
            "/api/v1/tickets",
            data={"title": title, "body": body},
            files=[("files", item) for item in files],
            headers=auth(self.shop_token),
        )
        assert response.status_code == 201, response.text
        return response.json()["id"]

    async def shop_writes(self, ticket_id: int, body: str) -> None:
        response = await self.http.post(
            f"/api/v1/tickets/{ticket_id}/messages",
            data={"body": body},
            headers=auth(self.shop_token),
        )
        assert response.status_code == 201, response.text

    async def shop_view(self, ticket_id: int) -> dict:
        response = await self.http.get(
            f"/api/v1/tickets/{ticket_id}", headers=auth(self.shop_token)
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def root(self, ticket_id: int, *, timeout: float = 20) -> SeenMessage:
        return await self.anna.wait_for(
            lambda m: m.thread_root is None and f"#{ticket_id} " in m.body, timeout=timeout
        )

    async def in_thread(
        self, root: SeenMessage, predicate: Callable[[SeenMessage], bool], timeout: float = 15
    ) -> SeenMessage:
        return await self.anna.wait_for(
            lambda m: m.thread_root == root.event_id and predicate(m), timeout=timeout
        )

    async def shop_sees(self, ticket_id: int, predicate: Callable[[dict], bool]) -> dict:
        async def check() -> dict | None:
            view = await self.shop_view(ticket_id)
            return next((m for m in view["messages"] if predicate(m)), None)

        return await eventually(check)

    async def start_pomoc(self) -> None:
        self.task = asyncio.create_task(self.runtime.run_workers())
        await eventually(lambda: _true(self.adapter.synced.is_set()))

    async def stop_pomoc(self) -> None:
        self.runtime.stop.set()
        await self.task
        self.runtime.stop = asyncio.Event()
        self.task = None


async def _true(value: bool) -> bool:
    return value


async def _member(hs: Homeserver, localpart: str, display_name: str) -> MatrixAgent:
    user_id, token = await asyncio.to_thread(hs.register, localpart, PASSWORD)
    agent = MatrixAgent(hs.url, user_id)
    agent.client.access_token, agent.client.user_id = token, user_id
    await agent.client.set_displayname(display_name)
    return agent


async def build_harness(
    hs: Homeserver,
    database_url: str,
    tmp_path: Path,
    *,
    relay_mode: str = "all",
    managers_here: bool = False,
    own_room: str | None = None,
) -> Harness:
    """`own_room`: one more department, in a room of its own with the same members."""
    n = next(_names)
    bot_id, bot_token = await asyncio.to_thread(hs.register, f"pomoc{n}", PASSWORD)
    anna = await _member(hs, f"anna{n}", "Anna z supportu")
    bartek = await _member(hs, f"bartek{n}", "Bartek")
    stranger = await _member(hs, f"obcy{n}", "Ktos Obcy")
    members = [anna.client.user_id, bartek.client.user_id, stranger.client.user_id]
    room_id = await asyncio.to_thread(
        hs.create_room, bot_token, name=f"Wsparcie {n}", invite=members
    )
    rooms = {}
    if own_room is not None:
        rooms[own_room] = await asyncio.to_thread(
            hs.create_room, bot_token, name=f"{own_room} {n}", invite=members
        )
    for member in (anna, bartek, stranger):
        for room in (room_id, *rooms.values()):
            assert isinstance(await member.client.join(room), JoinResponse)
        await member.start()
        # Command replies and bot messages are m.notice: the agent should see those too.
        member.client.add_event_callback(member._on_message, RoomMessageNotice)
        member.client.add_event_callback(member._on_message, RoomMessageMedia)
    department = {"platform": "matrix", "channel": room_id, "relay_mode": relay_mode}
    config = make_config(
        database_url,
        tmp_path,
        departments={
            "payments": department,
            "other": department,
            **{name: {**department, "channel": room} for name, room in rooms.items()},
        },
        managers={"platform": "matrix", "channel": room_id} if managers_here else {},
        matrix={
            "enabled": True,
            "homeserver": hs.url,
            "user_id": bot_id,
            "agents": [anna.client.user_id, bartek.client.user_id],
        },
    )
    clock = FakeClock()
    secrets = Secrets.from_env({"POMOC_MATRIX_ACCESS_TOKEN": bot_token})
    services = build_core(config, secrets, clock=clock, triager=KeywordTriager(), migrate=False)
    runtime = Runtime(services)
    adapter = runtime.adapters["matrix"]
    adapter.poll_timeout_ms = 2000
    http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=runtime.app), base_url="http://panel"
    )
    shop_token = create_shop(config.database.url, "Sklep Ani")
    return Harness(
        homeserver=hs,
        services=services,
        runtime=runtime,
        adapter=adapter,
        room_id=room_id,
        anna=anna,
        bartek=bartek,
        stranger=stranger,
        http=http,
        shop_token=shop_token,
        clock=clock,
        rooms=rooms,
    )


async def close_harness(harness: Harness) -> None:
    if harness.task is not None:
        await harness.stop_pomoc()
    for member in (harness.anna, harness.bartek, harness.stranger):
        await member.close()
    await harness.http.aclose()
    harness.services.db.dispose()


@pytest.fixture
async def matrix(homeserver: Homeserver, database_url: str, tmp_path: Path) -> AsyncIterator:
    harness = await build_harness(homeserver, database_url, tmp_path)
    await harness.start_pomoc()
    yield harness
    await close_harness(harness)


@pytest.fixture
async def matrix_explicit(
    homeserver: Homeserver, database_url: str, tmp_path: Path
) -> AsyncIterator:
    harness = await build_harness(homeserver, database_url, tmp_path, relay_mode="explicit")
    await harness.start_pomoc()
    yield harness
    await close_harness(harness)
