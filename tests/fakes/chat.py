"""A chat adapter that records what the core delivers, and can be told to fail or be slow."""

import asyncio
import itertools

from bot.errors import DeliveryError
from bot.events import ThreadRef
from bot.views import LinkView, MessageView, PictureView, TicketView


class FakeChat:
    def __init__(self, platform: str = "matrix") -> None:
        self.platform = platform
        self.threads: dict[str, TicketView] = {}
        self.posts: list[tuple[ThreadRef, MessageView, str]] = []
        self.roots: list[TicketView] = []
        self.announcements: list[tuple[str, str]] = []
        self.pictures: list[PictureView | None] = []  # what came with each announcement
        self.links: list[LinkView | None] = []  # and the link that ended it
        self.fail_next: list[DeliveryError] = []
        self.keys_seen: list[str] = []
        self.retries: list[str] = []
        self.delays: dict[str, float] = {}  # channel -> seconds each new thread takes
        self._ids = itertools.count(1)
        self.on_event = None

    async def start(self, on_event) -> None:
        self.on_event = on_event

    async def stop(self) -> None:
        self.on_event = None

    def _maybe_fail(self, key: str, retry: bool = False) -> None:
        self.keys_seen.append(key)
        if retry:
            self.retries.append(key)
        if self.fail_next:
            raise self.fail_next.pop(0)

    async def open_thread(
        self, *, channel: str, ticket: TicketView, key: str, retry: bool
    ) -> tuple[str, str]:
        self._maybe_fail(key, retry)
        await asyncio.sleep(self.delays.get(channel, 0))
        thread_id = f"t{next(self._ids)}"
        self.threads[thread_id] = ticket
        return thread_id, thread_id

    async def update_root(self, *, thread: ThreadRef, root_id: str, ticket: TicketView) -> None:
        self._maybe_fail(f"root:{root_id}")
        self.roots.append(ticket)

    async def post(self, *, thread: ThreadRef, message: MessageView, key: str, retry: bool) -> str:
        self._maybe_fail(key, retry)
        self.posts.append((thread, message, key))
        return f"m{next(self._ids)}"

    async def probe(self, *, channel: str | None) -> None:
        self._maybe_fail(f"probe:{channel}")

    async def announce(
        self,
        *,
        channel: str,
        text: str,
        key: str,
        retry: bool,
        picture: PictureView | None = None,
        link: LinkView | None = None,
    ) -> str:
        self._maybe_fail(key, retry)
        self.announcements.append((channel, text))
        self.pictures.append(picture)
        self.links.append(link)
        return f"a{next(self._ids)}"
