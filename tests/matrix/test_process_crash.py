"""`pomoc run` SIGKILLed mid-burst against the real Synapse: nothing lost, nothing doubled."""

# `pomoc run` killed with SIGKILL in the middle of a burst, then restarted, against the real
# Synapse: every shop message reaches the thread once, in order, and agent replies written while it
# was dead reach the panel once.

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
from nio import AsyncClient, RoomMessageNotice

from pomoc.cli import create_shop
from pomoc.homeserver import Homeserver
from pomoc.runtime import MATRIX_SYNC_KEY as SYNC_KEY
from storage import repositories as repo
from storage.db import Database
from storage.migrate import upgrade
from tests.helpers import auth
from tests.matrix.conftest import PASSWORD, _member, eventually, free_port

BURST = 30


def start_pomoc(config: Path, port: int, token: str, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pomoc", "run", "--config", str(config), "--port", str(port)],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        cwd=config.parent,
        env={**os.environ, "POMOC_MATRIX_ACCESS_TOKEN": token, "POMOC_SECRET_KEY": "t"},
    )


def synced_once(database_url: str) -> bool:
    db = Database(database_url)
    try:
        with db.transaction() as session:
            return repo.get_sync_state(session, SYNC_KEY) is not None
    finally:
        db.dispose()


async def healthy(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=1) as http:
            return (await http.get(f"{url}/healthz")).status_code == 200
    except httpx.TransportError:
        return False


async def test_sigkill_mid_burst_loses_and_doubles_nothing(
    homeserver: Homeserver, database_url: str, tmp_path: Path
):
    bot_id, bot_token = await asyncio.to_thread(homeserver.register, "pomoc-crash", PASSWORD)
    anna = await _member(homeserver, "anna-crash", "Anna")
    creator = AsyncClient(homeserver.url, bot_id)
    creator.access_token, creator.user_id = bot_token, bot_id
    room_id = (await creator.room_create(name="Awarie", invite=[anna.client.user_id])).room_id
    await creator.close()
    await anna.client.join(room_id)
    await anna.start()
    anna.client.add_event_callback(anna._on_message, RoomMessageNotice)

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    config = tmp_path / "pomoc.toml"
    config.write_text(
        '[server]\ninstance_id = "pomoc-crash"\n'
        f'[database]\nurl = "{database_url}"\n'
        f'[attachments]\ndirectory = "{tmp_path}/files"\n'
        f'[departments.other]\nplatform = "matrix"\nchannel = "{room_id}"\n'
        f'[departments.technical]\nplatform = "matrix"\nchannel = "{room_id}"\n'
        f'[matrix]\nenabled = true\nhomeserver = "{homeserver.url}"\nuser_id = "{bot_id}"\n'
        f'agents = ["{anna.client.user_id}"]\n'
    )
    upgrade(database_url)
    shop = auth(create_shop(database_url, "Sklep po awarii"))
    log = tmp_path / "pomoc.log"
    process = start_pomoc(config, port, bot_token, log)
    http = httpx.AsyncClient(base_url=url, headers=shop, timeout=30)
    try:
        await eventually(lambda: healthy(url), timeout=90)
        # Until its first sync, a brand-new bridge has no position in the room and would treat
        # what follows as history; a deployment is that young only once.
        await eventually(lambda: asyncio.to_thread(synced_once, database_url), timeout=30)
        # A critical ticket escalates at once, whatever the hour CI runs at.
        created = await http.post(
            "/api/v1/tickets",
            data={
                "title": "Sklep nie dziala",
                "body": "Strona sklepu zwraca blad 500, nikt nie kupi",
            },
        )
        assert created.status_code == 201, created.text
        ticket = created.json()
        assert ticket["priority"] == "critical"
        root = await anna.wait_for(
            lambda m: m.thread_root is None and "Sklep nie dziala" in m.body, timeout=30
        )

        def thread_bodies() -> list[str]:
            return [
                m.body for m in anna.seen if m.thread_root == root.event_id and "dopisek" in m.body
            ]

        for n in range(BURST):
            sent = await http.post(
                f"/api/v1/tickets/{ticket['id']}/messages", data={"body": f"dopisek {n:02d}"}
            )
            assert sent.status_code == 201
        await eventually(lambda: _at_least(thread_bodies, 3), timeout=30)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

        for n in range(3):  # agents keep answering while Pomoc is dead
            await anna.reply(room_id, root.event_id, f"odpowiedz w czasie awarii {n}")

        process = start_pomoc(config, port, bot_token, log)
        await eventually(lambda: healthy(url), timeout=90)
        await eventually(lambda: _at_least(thread_bodies, BURST), timeout=60)
        await asyncio.sleep(1.5)  # a doubled delivery would arrive in this time
        bodies = [body.rsplit("dopisek ", 1)[-1] for body in thread_bodies()]
        assert bodies == [f"{n:02d}" for n in range(BURST)], log.read_text()[-3000:]

        async def agent_replies() -> list[str] | None:
            view = (await http.get(f"/api/v1/tickets/{ticket['id']}")).json()
            replies = [m["body"] for m in view["messages"] if m["author"] == "agent"]
            return replies if len(replies) >= 3 else None

        replies = await eventually(agent_replies, timeout=30)
        await asyncio.sleep(1.0)
        assert await agent_replies() == [f"odpowiedz w czasie awarii {n}" for n in range(3)]
    finally:
        await http.aclose()
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        await anna.close()
    assert replies


async def _at_least(bodies, count: int) -> bool:
    return len(bodies()) >= count
