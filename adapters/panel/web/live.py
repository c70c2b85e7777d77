"""Live updates over server-sent events: one listener per process wakes a changed shop's streams."""

# A stream does not poll. Each commit announces the shops it changed (storage/changes.py): on
# PostgreSQL a NOTIFY that the one LISTEN connection of every instance hears, so a reply written by
# any instance reaches every open inbox; on SQLite (one instance) an in-process call. A woken stream
# reads its small version tuple and renders only when that changed, so a burst of commits costs one
# render. Streams are capped per browser session and per shop, and a stream whose session ended
# (logout, a rotated token) stops at its next keepalive.

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from adapters.panel.api import RowId
from adapters.panel.auth import core
from adapters.panel.guards import error_response
from adapters.panel.schemas import TicketDetail, detail_out, list_out
from adapters.panel.web import render
from adapters.panel.web.pages import LIST_LIMIT, session_shop
from bot import texts
from bot.core import Core
from bot.errors import NotFound
from storage import changes
from storage import repositories as repo
from storage.db import Database
from storage.models import Shop

KEEPALIVE_SECONDS = 15
# The browser reconnects on its own; a bounded stream keeps a forgotten tab from holding one
# connection for days.
LIFETIME_SECONDS = 300
RETRY_AFTER_SECONDS = 30
HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}

router = APIRouter(prefix="/panel", include_in_schema=False)


class Subscription:
    """One open stream: woken when its shop changes."""

    def __init__(self, hub: "LiveHub", shop_id: int, session: str | None) -> None:
        self.hub = hub
        self.shop_id = shop_id
        self.session = session
        self.woken = asyncio.Event()
        self.closed = False

    async def wait(self, timeout: float) -> bool:
        """True when woken within `timeout` seconds; the wake-up is consumed."""
        try:
            await asyncio.wait_for(self.woken.wait(), timeout)
        except TimeoutError:
            return False
        self.woken.clear()
        return True

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.hub.release(self)


class LiveHub:
    """This process's streams by shop, and the one listener that wakes them."""

    def __init__(self, db: Database, *, per_session: int, per_shop: int) -> None:
        self.db = db
        self.per_session = per_session
        self.per_shop = per_shop
        self.keepalive = KEEPALIVE_SECONDS
        self._by_shop: dict[int, set[Subscription]] = {}
        self._by_session: dict[str, int] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._listener: asyncio.Task[None] | None = None

    def open(self, shop_id: int, session: str | None) -> Subscription | None:
        """A new stream's subscription, or None when the session or the shop has its fill."""
        if len(self._by_shop.get(shop_id, ())) >= self.per_shop:
            return None
        if session is not None and self._by_session.get(session, 0) >= self.per_session:
            return None
        if not self._by_shop:
            self._start()
        subscription = Subscription(self, shop_id, session)
        self._by_shop.setdefault(shop_id, set()).add(subscription)
        if session is not None:
            self._by_session[session] = self._by_session.get(session, 0) + 1
        return subscription

    def release(self, subscription: Subscription) -> None:
        subs = self._by_shop.get(subscription.shop_id, set())
        subs.discard(subscription)
        if not subs:
            self._by_shop.pop(subscription.shop_id, None)
        if subscription.session is not None:
            left = self._by_session.get(subscription.session, 1) - 1
            if left > 0:
                self._by_session[subscription.session] = left
            else:
                self._by_session.pop(subscription.session, None)
        if not self._by_shop:
            self._stop()

    def changed(self, shops: frozenset[int] | None) -> None:
        """Wake the streams of `shops` (None: every stream). Runs on the event loop."""
        if shops is None:
            targets = list(self._by_shop.values())
        else:
            targets = [self._by_shop[shop] for shop in shops if shop in self._by_shop]
        for subs in targets:
            for subscription in subs:
                subscription.woken.set()

    def _changed_elsewhere(self, shops: frozenset[int] | None) -> None:
        # SQLite: called in the thread that committed.
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self.changed, shops)

    def _start(self) -> None:
        self._loop = asyncio.get_running_loop()
        if self.db.is_postgres:
            self._listener = self._loop.create_task(
                changes.listen_postgres(self.db.url, self.changed)
            )
        else:
            changes.LOCAL.add(self.db.url, self._changed_elsewhere)

    def _stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            self._listener = None
        if not self.db.is_postgres:
            changes.LOCAL.remove(self.db.url, self._changed_elsewhere)


class LiveStream(StreamingResponse):
    """An event stream that gives its subscription back however the response ends."""

    def __init__(self, events: AsyncIterator[str], subscription: Subscription) -> None:
        super().__init__(events, media_type="text/event-stream", headers=HEADERS)
        self.subscription = subscription

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.subscription.close()


GONE = "event: gone\ndata: {}\n\n"  # the page stops listening


async def _events(
    subscription: Subscription,
    version: Callable[[], Hashable],
    payload: Callable[[], Awaitable[dict[str, object] | None]],
    session_alive: Callable[[], bool],
) -> AsyncIterator[str]:
    yield "retry: 1000\n\n"
    seen: Hashable = object()
    deadline = time.monotonic() + LIFETIME_SECONDS
    woken = True  # the first round renders what is there now
    while (left := deadline - time.monotonic()) > 0:
        if woken:
            current = await run_in_threadpool(version)
            if current != seen:
                seen = current
                data = await payload()
                if data is None:  # the ticket is gone (purged)
                    yield GONE
                    return
                yield f"data: {json.dumps(data, ensure_ascii=False)}\n\n"
        woken = await subscription.wait(min(subscription.hub.keepalive, left))
        if not woken:
            if not await run_in_threadpool(session_alive):  # logged out meanwhile
                yield GONE
                return
            yield ": keepalive\n\n"


def _stream(
    request: Request,
    shop: Shop,
    version: Callable[[], Hashable],
    payload: Callable[[], Awaitable[dict[str, object] | None]],
) -> Response:
    """The stream, or 429 when this session or shop already has its fill of them."""
    hub: LiveHub = request.app.state.live
    # The session's CSRF token is unique to it: the key of the per-session cap.
    subscription = hub.open(repo.row_id(shop), getattr(request.state, "csrf_token", None))
    if subscription is None:
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        return error_response(429, texts.TOO_MANY_STREAMS, headers=headers)
    sessions, token = request.app.state.sessions, request.state.session_token

    def session_alive() -> bool:
        return sessions.find(core(request), token) is not None

    events = _events(subscription, version, payload, session_alive)
    return LiveStream(events, subscription)


async def inbox_html(request: Request, app: Core, shop: Shop) -> tuple[str, int]:
    listed = list_out(
        await run_in_threadpool(app.inbox.tickets, repo.row_id(shop), limit=LIST_LIMIT)
    )
    html = render.fragment("_tickets.html", tickets=listed.tickets, **render.context(app, request))
    return html, listed.unread


def conversation_html(request: Request, app: Core, ticket: TicketDetail) -> str:
    return render.fragment("_conversation.html", t=ticket, **render.context(app, request))


@router.get("/events")
async def inbox_events(request: Request) -> Response:
    """The ticket list and the "!" badge, as they change."""
    shop, app = session_shop(request), core(request)
    if shop is None:
        return Response(status_code=401)
    shop_id = repo.row_id(shop)

    async def payload() -> dict[str, object]:
        html, unread = await inbox_html(request, app, shop)
        return {"html": html, "unread": unread}

    return _stream(request, shop, lambda: app.inbox.shop_version(shop_id), payload)


@router.get("/tickets/{ticket_id}/events")
async def ticket_events(ticket_id: RowId, request: Request) -> Response:
    """One conversation as it changes: agents' replies, status, the badge."""
    shop, app = session_shop(request), core(request)
    if shop is None:
        return Response(status_code=401)
    shop_id = repo.row_id(shop)
    if await run_in_threadpool(app.inbox.ticket_version, shop_id, ticket_id) is None:
        return Response(status_code=404)

    async def payload() -> dict[str, object] | None:
        try:
            ticket = detail_out(await run_in_threadpool(app.inbox.conversation, shop_id, ticket_id))
            unread = await run_in_threadpool(app.inbox.unread, shop_id)
        except NotFound:
            return None
        return {
            "html": conversation_html(request, app, ticket),
            "unread": unread,
            "ticket_unread": ticket.unread,
            "status": ticket.status,
        }

    return _stream(request, shop, lambda: app.inbox.ticket_version(shop_id, ticket_id), payload)
