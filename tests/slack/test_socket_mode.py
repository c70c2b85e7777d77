"""Socket Mode: events arrive over a websocket (a fake server here) and are acked by envelope id."""

import asyncio
import json
import time

import websockets

from storage import repositories as repo
from tests.slack.conftest import APP_TOKEN, opened_thread, reply_event, slack_runtime


async def test_socket_mode_event_reaches_the_desk_and_is_acked(
    database_url, tmp_path, clock, fake, shop_token_factory
):
    connected = asyncio.Event()
    acks: asyncio.Queue = asyncio.Queue()
    sockets = []

    async def server(ws) -> None:
        sockets.append(ws)
        connected.set()
        await ws.send(json.dumps({"type": "hello", "num_connections": 1}))
        async for raw in ws:
            data = json.loads(raw) if isinstance(raw, str) else {}
            if "envelope_id" in data:
                await acks.put(data)

    async with websockets.serve(server, "127.0.0.1", 0) as ws_server:
        port = ws_server.sockets[0].getsockname()[1]
        fake.socket_url = f"ws://127.0.0.1:{port}/"
        runtime = slack_runtime(database_url, tmp_path, clock, fake, mode="socket")
        adapter = runtime.adapters["slack"]
        try:
            async with shop_token_factory(runtime) as (http, token):
                ticket_id, ts = await opened_thread(runtime, http, token)
                await adapter.start(runtime.core.desk.handle)
                await asyncio.wait_for(connected.wait(), 5)
                [opened] = fake.calls_of("apps.connections.open")
                envelope = {
                    "envelope_id": "env-1",
                    "type": "events_api",
                    "accepts_response_payload": False,
                    "retry_attempt": 0,
                    "retry_reason": "",
                    "payload": {
                        "team_id": "T1",
                        "api_app_id": "A1",
                        "type": "event_callback",
                        "event_id": "EvSOCKET1",
                        "event_time": int(time.time()),
                        "event": reply_event(ts, "Odpowiedź przez Socket Mode"),
                    },
                }
                await sockets[0].send(json.dumps(envelope))
                ack = await asyncio.wait_for(acks.get(), 5)
                assert ack["envelope_id"] == "env-1"
                with runtime.core.db.transaction() as session:
                    bodies = [
                        m.body for m in repo.ticket_messages(session, ticket_id, include_notes=True)
                    ]
                assert "Odpowiedź przez Socket Mode" in bodies
        finally:
            await adapter.stop()
            runtime.core.db.dispose()
    assert opened.auth == f"Bearer {APP_TOKEN}"


async def test_socket_mode_serves_no_events_endpoint(database_url, tmp_path, clock, fake):
    import httpx

    runtime = slack_runtime(database_url, tmp_path, clock, fake, mode="socket")
    transport = httpx.ASGITransport(app=runtime.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://pomoc") as http:
        assert (await http.post("/slack/events", content="{}")).status_code == 404
    runtime.core.db.dispose()
