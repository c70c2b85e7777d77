"""Agent -> shop relay latency over a real Synapse, next to the bare homeserver round trip."""

# Relay: an agent's `room_send` into a ticket thread until the message is committed in Pomoc's
# database (the shop's inbox reads it from there). Bare: the same agent's `room_send` until a second
# plain nio client receives it. Both are measured interleaved in the same run.

# Run: POMOC_SYNAPSE_PYTHON=.venv-synapse/bin/python .venv/bin/python benchmarks/matrix_relay.py

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nio import AsyncClient, RoomMessageText  # noqa: E402

from benchmarks._common import free_port, percentile, say  # noqa: E402
from bot.config import Secrets, parse_config  # noqa: E402
from bot.events import ThreadMessage  # noqa: E402
from pomoc.agent import MatrixAgent  # noqa: E402
from pomoc.cli import create_shop  # noqa: E402
from pomoc.homeserver import Homeserver  # noqa: E402
from pomoc.runtime import Runtime, build_core  # noqa: E402
from storage import repositories as repo  # noqa: E402
from storage.models import Shop  # noqa: E402
from tests.fakes.clock import FakeClock  # noqa: E402  (a fixed time inside support hours)
from tests.fakes.triage import KeywordTriager  # noqa: E402

PASSWORD = "bench-password-1"


def summary(name: str, values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (
        f"{name:<34} median {statistics.median(ms):7.2f} ms   p95 {percentile(ms, 95):7.2f} ms"
        f"   min {min(ms):6.2f}   max {max(ms):7.2f}   (n={len(ms)})"
    )


async def logged_in(hs: Homeserver, localpart: str) -> AsyncClient:
    user_id, token = await asyncio.to_thread(hs.register, localpart, PASSWORD)
    client = AsyncClient(hs.url, user_id)
    client.access_token, client.user_id = token, user_id
    return client


async def bench(work: Path, n: int) -> None:
    hs = Homeserver(work / "synapse", free_port())
    say("starting Synapse")
    await asyncio.to_thread(hs.start)
    try:
        await run(hs, work, n)
    finally:
        await asyncio.to_thread(hs.stop)


async def run(hs: Homeserver, work: Path, n: int) -> None:
    bot_id, bot_token = await asyncio.to_thread(hs.register, "pomoc", PASSWORD)
    agent_id, _ = await asyncio.to_thread(hs.register, "anna", PASSWORD)
    observer = await logged_in(hs, "observer")
    room = await asyncio.to_thread(
        hs.create_room, bot_token, name="Wsparcie", invite=[agent_id, observer.user_id]
    )
    agent = MatrixAgent(hs.url, agent_id)
    await agent.login(PASSWORD)
    await agent.client.join(room)
    await observer.join(room)

    department = {"platform": "matrix", "channel": room}
    config = parse_config(
        {
            "database": {"url": f"sqlite:///{work}/pomoc.db"},
            "attachments": {"directory": str(work / "files")},
            "departments": {"other": department, "payments": department},
            "matrix": {
                "enabled": True,
                "homeserver": hs.url,
                "user_id": bot_id,
                "agents": [agent_id],
            },
        }
    )
    secrets = Secrets.from_env({"POMOC_MATRIX_ACCESS_TOKEN": bot_token, "POMOC_SECRET_KEY": "x"})
    services = build_core(config, secrets, clock=FakeClock(), triager=KeywordTriager())
    committed: dict[str, float] = {}
    handle = services.desk.handle

    async def timed_handle(event):  # returns once the core's transaction has committed
        reply = await handle(event)
        if isinstance(event, ThreadMessage):
            committed[event.text] = time.perf_counter()
        return reply

    services.desk.handle = timed_handle
    runtime = Runtime(services)
    workers = asyncio.create_task(runtime.run_workers())

    received: dict[str, float] = {}

    async def on_observed(_room, event: RoomMessageText) -> None:
        received[event.body] = time.perf_counter()

    await observer.sync(timeout=0, full_state=True)
    observer.add_event_callback(on_observed, RoomMessageText)
    observer_task = asyncio.create_task(observer.sync_forever(timeout=30_000))

    create_shop(config.database.url, "Sklep Benchmarkowy")
    with services.db.transaction() as session:
        shop = session.get(Shop, 1)
    opened = services.tickets.open_ticket(shop=shop, title="Benchmark", body="Pomiar opoznien")
    ticket = opened.ticket
    say("waiting for the ticket's thread")
    async with asyncio.timeout(30):
        while True:
            with services.db.transaction() as session:
                link = repo.thread_for_ticket(session, ticket.id)
            if link is not None:
                break
            await asyncio.sleep(0.05)
    await asyncio.sleep(1)  # let both syncs settle into their long polls

    relay, bare = [], []
    try:
        for i in range(n):
            text = f"relay {i}"
            started = time.perf_counter()
            await agent.reply(room, link.thread_id, text)
            async with asyncio.timeout(30):
                while text not in committed:
                    await asyncio.sleep(0.001)
            relay.append(committed[text] - started)

            text = f"bare {i}"
            started = time.perf_counter()
            await agent.client.room_send(
                room, "m.room.message", {"msgtype": "m.text", "body": text}
            )
            async with asyncio.timeout(30):
                while text not in received:
                    await asyncio.sleep(0.001)
            bare.append(received[text] - started)
            if (i + 1) % max(1, n // 10) == 0:
                say(
                    f"{i + 1}/{n}: relay median {statistics.median(relay) * 1000:.1f} ms, "
                    f"bare median {statistics.median(bare) * 1000:.1f} ms"
                )
            await asyncio.sleep(0.02)
    finally:
        runtime.stop.set()
        await workers
        observer_task.cancel()
        await observer.close()
        await agent.close()
        services.db.dispose()

    with services.db.transaction() as session:
        stored = repo.ticket_messages(session, ticket.id, include_notes=False)
    relayed = sum(1 for m in stored if m.body.startswith("relay "))
    print(summary("relay (agent send -> Pomoc DB)", relay))
    print(summary("bare (agent send -> 2nd client)", bare))
    ratio_median = statistics.median(relay) / statistics.median(bare)
    ratio_p95 = percentile(relay, 95) / percentile(bare, 95)
    print(f"ratio relay/bare: median {ratio_median:.2f}x   p95 {ratio_p95:.2f}x")
    print(f"messages in Pomoc's DB: {relayed}/{n} (each exactly once: {relayed == n})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200, help="messages per kind (default 200)")
    n = parser.parse_args().n
    with tempfile.TemporaryDirectory(prefix="pomoc-bench-") as work:
        asyncio.run(bench(Path(work), n))


if __name__ == "__main__":
    main()
