"""Live updates over server-sent events, polled from the database every instance shares."""

# An agent's reply may be written by another Pomoc process, so in-process events would miss it:
# each stream reads a small version tuple every `POLL_SECONDS` and renders only when it changes.

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse

from adapters.panel.api import RowId
from adapters.panel.auth import core
from adapters.panel.schemas import TicketDetail, detail_out, list_out
from adapters.panel.web import render
from adapters.panel.web.pages import LIST_LIMIT, session_shop
from bot.core import Core
from bot.errors import NotFound
from storage import repositories as repo
from storage.models import Shop

POLL_SECONDS = 0.3
KEEPALIVE_SECONDS = 15
# The browser reconnects on its own; a bounded stream keeps a forgotten tab from holding one
# connection for days.
LIFETIME_SECONDS = 300
HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}

router = APIRouter(prefix="/panel", include_in_schema=False)


async def inbox_html(request: Request, app: Core, shop: Shop) -> tuple[str, int]:
    listed = list_out(
        await run_in_threadpool(app.inbox.tickets, repo.row_id(shop), limit=LIST_LIMIT)
    )
    html = render.fragment("_tickets.html", tickets=listed.tickets, **render.context(app, request))
    return html, listed.unread


def conversation_html(request: Request, app: Core, ticket: TicketDetail) -> str:
    return render.fragment("_conversation.html", t=ticket, **render.context(app, request))


async def _events(
    version: Callable[[], Hashable], payload: Callable[[], Awaitable[dict[str, object] | None]]
) -> AsyncIterator[str]:
    yield "retry: 1000\n\n"
    seen: Hashable = object()
    started = last_sent = time.monotonic()
    while time.monotonic() - started < LIFETIME_SECONDS:
        current = await run_in_threadpool(version)
        if current != seen:
            seen = current
            data = await payload()
            if data is None:  # the ticket is gone (purged): the page stops listening
                yield "event: gone\ndata: {}\n\n"
                return
            yield f"data: {json.dumps(data, ensure_ascii=False)}\n\n"
            last_sent = time.monotonic()
        elif time.monotonic() - last_sent > KEEPALIVE_SECONDS:
            yield ": keepalive\n\n"
            last_sent = time.monotonic()
        await asyncio.sleep(POLL_SECONDS)


def _stream(events: AsyncIterator[str]) -> StreamingResponse:
    return StreamingResponse(events, media_type="text/event-stream", headers=HEADERS)


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

    return _stream(_events(lambda: app.inbox.shop_version(shop_id), payload))


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

    return _stream(_events(lambda: app.inbox.ticket_version(shop_id, ticket_id), payload))
