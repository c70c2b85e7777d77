"""A chat adapter that records every call and, like Matrix transaction ids, dedupes by key."""

import asyncio
import os
import random
from pathlib import Path

from bot.errors import DeliveryError, Failure
from bot.events import ThreadRef
from bot.views import MessageView, TicketView


class Ledger:
    """What every instance's adapter saw, in arrival order: one shared platform."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, bool]] = []  # (worker, key, retry) of every call
        self.visible: list[tuple[str, str]] = []  # (thread_id, key) shown once per key
        self.results: dict[str, object] = {}

    def calls_of(self, key: str) -> list[tuple[str, str, bool]]:
        return [call for call in self.calls if call[1] == key]


class RecordingChat:
    """One instance's adapter; a repeated key returns the first result instead of posting again."""

    def __init__(
        self,
        ledger: Ledger,
        *,
        worker: str = "w",
        delay: float = 0.0,
        journal: Path | None = None,
        blocked: Path | None = None,
    ) -> None:
        self.platform = "matrix"
        self.ledger = ledger
        self.worker = worker
        self.delay = delay
        self.journal = journal
        # While this file exists the "platform" refuses every post: the bot is not in the channel.
        self.blocked = blocked

    async def start(self, on_event) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def _deliver(self, key: str, retry: bool, thread_id: str, result: object) -> object:
        if self.blocked is not None and self.blocked.exists():
            raise DeliveryError("not_in_channel", failure=Failure.CHANNEL, code="not_in_channel")
        if self.delay:
            await asyncio.sleep(random.uniform(0, self.delay))
        self.ledger.calls.append((self.worker, key, retry))
        if self.journal is not None:
            # The "platform" must remember the call even if this process is killed next.
            with self.journal.open("a") as handle:
                handle.write(f"{key}\t{int(retry)}\n")
                handle.flush()
                os.fsync(handle.fileno())
        if key not in self.ledger.results:
            self.ledger.results[key] = result
            self.ledger.visible.append((thread_id, key))
        return self.ledger.results[key]

    async def open_thread(
        self, *, channel: str, ticket: TicketView, key: str, retry: bool
    ) -> tuple[str, str]:
        thread_id = f"thread-{ticket.id}"
        return await self._deliver(key, retry, thread_id, (thread_id, thread_id))

    async def update_root(self, *, thread: ThreadRef, root_id: str, ticket: TicketView) -> None:
        pass

    async def post(self, *, thread: ThreadRef, message: MessageView, key: str, retry: bool) -> str:
        return await self._deliver(key, retry, thread.thread_id, f"event-{message.id}")

    async def probe(self, *, channel: str | None) -> None:
        if self.blocked is not None and self.blocked.exists():
            raise DeliveryError("not_in_channel", failure=Failure.CHANNEL, code="not_in_channel")

    async def announce(
        self,
        *,
        channel: str,
        text: str,
        key: str,
        retry: bool,
        picture: object = None,
        link: object = None,
    ) -> str:
        return await self._deliver(key, retry, channel, f"announce-{key}")
