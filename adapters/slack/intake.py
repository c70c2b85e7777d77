"""Slack's events kept before they are answered, then handled: a slow download loses nothing."""

# Slack wants an answer within 3 s and never redelivers a 200. So every event, button, command
# and shortcut is first written to a durable queue (the database), then answered 200; it is
# handled at once in the background of that answer, and whatever was not finished then (a crash,
# a failure, a slow download) is claimed again by the queue's worker, with backoff. The desk
# claims event ids, so an event handled twice changes nothing the second time.

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from bot.ports import EventQueue, QueuedEvent

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
POLL_SECONDS = 1.0
MAX_ATTEMPTS = 12
MAX_BACKOFF = 300.0

Handler = Callable[[QueuedEvent], Awaitable[None]]


def backoff(attempts: int) -> float | None:
    """Seconds before the next try; None after MAX_ATTEMPTS (then an operator must look)."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return random.uniform(0.5, min(MAX_BACKOFF, 2.0**attempts))


class Intake:
    """Takes events in (`keep`) and handles them, now or later, with `handle`."""

    def __init__(self, queue: EventQueue, handle: Handler, *, ack_within: float = 2.5) -> None:
        self.queue = queue
        self.handle = handle
        self.ack_within = ack_within
        self._wake = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None
        self._inline: set[asyncio.Task[None]] = set()

    async def keep(
        self, *, event_id: str, kind: str, channel: str, payload: dict[str, Any]
    ) -> None:
        """Store the event (an error here means no 200: Slack sends it again), then start it.

        Returns within `ack_within` seconds; handling that takes longer goes on after."""
        stored = await asyncio.to_thread(
            self.queue.put, event_id=event_id, kind=kind, channel=channel, payload=payload
        )
        if not stored:  # Slack's retry of an event we already have
            return
        task = asyncio.create_task(self._drain_once(event_id=event_id))
        self._inline.add(task)
        task.add_done_callback(self._inline.discard)
        await asyncio.wait({task}, timeout=self.ack_within)

    def start(self) -> None:
        self._worker = asyncio.create_task(self._run(), name="slack-intake")

    async def stop(self, *, grace: float = 10.0) -> None:
        if self._inline:
            await asyncio.wait(self._inline, timeout=grace)
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None

    async def _run(self) -> None:
        while True:
            try:
                await self._drain_once()
            except Exception:  # a database hiccup must not end the intake
                log.exception("Slack intake pass failed")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=POLL_SECONDS)

    async def _drain_once(self, *, event_id: str | None = None) -> None:
        claimed = await asyncio.to_thread(self.queue.claim, lease=LEASE, event_id=event_id)
        for event in claimed:
            await self._handle(event)

    async def _handle(self, event: QueuedEvent) -> None:
        try:
            await self.handle(event)
        except Exception as error:  # retried by the worker; the desk's claim keeps it once
            retry_in = backoff(event.attempts)
            if retry_in is None:
                log.error("Slack %s %s gave up: %r", event.kind, event.event_id, error)
            else:
                log.warning(
                    "Slack %s %s failed, retry in %.1fs",
                    event.kind,
                    event.event_id,
                    retry_in,
                    exc_info=True,
                )
            await asyncio.to_thread(self.queue.failed, event, error=repr(error), retry_in=retry_in)
        else:
            await asyncio.to_thread(self.queue.done, event)
