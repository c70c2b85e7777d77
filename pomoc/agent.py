"""A support agent on Matrix from the terminal: the scripted demo drives it, and so can a person."""

# `pomoc agent` logs in, prints every new ticket root and thread message in the rooms the agent is
# in, and reads lines from stdin: `N text` answers in thread N (`N !claim`, `N !note ...` work too,
# as in any Matrix client).

import asyncio
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nio import (
    AsyncClient,
    LoginResponse,
    MatrixRoom,
    RoomMessageText,
    RoomSendResponse,
    SyncResponse,
)


@dataclass(frozen=True)
class SeenMessage:
    room_id: str
    event_id: str
    sender: str
    body: str
    thread_root: str | None  # None for a thread root or a plain room message


def thread_reply(root_event_id: str, text: str) -> dict[str, Any]:
    """Content of a message in the thread under `root_event_id` (spec: threading module)."""
    return {
        "msgtype": "m.text",
        "body": text,
        "m.relates_to": {
            "rel_type": "m.thread",
            "event_id": root_event_id,
            "is_falling_back": True,
            "m.in_reply_to": {"event_id": root_event_id},
        },
    }


def _thread_of(event: RoomMessageText) -> str | None:
    relation = event.source.get("content", {}).get("m.relates_to") or {}
    return relation.get("event_id") if relation.get("rel_type") == "m.thread" else None


class MatrixAgent:
    def __init__(self, homeserver: str, user_id: str) -> None:
        self.client = AsyncClient(homeserver, user_id)
        self.seen: list[SeenMessage] = []
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def login(self, password: str) -> None:
        response = await self.client.login(password, device_name="pomoc agent")
        if not isinstance(response, LoginResponse):
            raise RuntimeError(f"login as {self.client.user} failed: {response}")

    async def start(self) -> None:
        """Skip history, then follow new messages in the background."""
        first = await self.client.sync(timeout=0, full_state=True)
        if not isinstance(first, SyncResponse):
            raise RuntimeError(f"first sync failed: {first}")
        self.client.add_event_callback(self._on_message, RoomMessageText)
        self._task = asyncio.create_task(self.client.sync_forever(timeout=10_000))

    async def _on_message(self, room: MatrixRoom, event: RoomMessageText) -> None:
        self.seen.append(
            SeenMessage(
                room_id=room.room_id,
                event_id=event.event_id,
                sender=event.sender,
                body=event.body,
                thread_root=_thread_of(event),
            )
        )
        self._changed.set()

    async def wait_for(
        self, predicate: Callable[[SeenMessage], bool], *, timeout: float = 30
    ) -> SeenMessage:
        """The first message (already seen or arriving) that satisfies `predicate`."""
        async with asyncio.timeout(timeout):
            while True:
                for message in self.seen:
                    if predicate(message):
                        return message
                self._changed.clear()
                await self._changed.wait()

    async def reply(self, room_id: str, root_event_id: str, text: str) -> str:
        response = await self.client.room_send(
            room_id, "m.room.message", thread_reply(root_event_id, text)
        )
        if not isinstance(response, RoomSendResponse):
            raise RuntimeError(f"sending failed: {response}")
        return str(response.event_id)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
        await self.client.close()


async def interactive(homeserver: str, user_id: str, password: str) -> None:
    """The terminal loop behind `pomoc agent`."""
    agent = MatrixAgent(homeserver, user_id)
    await agent.login(password)
    await agent.start()
    roots: list[SeenMessage] = []
    printed = 0
    print(f"logged in as {user_id}; type `N text` to answer in thread N, Ctrl-D to quit")
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    try:
        while True:
            while printed < len(agent.seen):
                message = agent.seen[printed]
                printed += 1
                if message.thread_root is None and message.sender != user_id:
                    roots.append(message)
                    first_line = message.body.splitlines()[0] if message.body else ""
                    print(f"[{len(roots)}] {first_line}")
                elif message.thread_root is not None:
                    number = next(
                        (i + 1 for i, r in enumerate(roots) if r.event_id == message.thread_root),
                        "?",
                    )
                    print(f"    [{number}] {message.sender}: {message.body}")
            try:
                line = await asyncio.wait_for(reader.readline(), timeout=0.5)
            except TimeoutError:
                continue
            if not line:
                return
            number, _, text = line.decode().strip().partition(" ")
            if not number.isdigit() or not 0 < int(number) <= len(roots) or not text:
                print("usage: N text   (N = a thread number shown in brackets)")
                continue
            root = roots[int(number) - 1]
            await agent.reply(root.room_id, root.event_id, text)
    finally:
        await agent.close()
