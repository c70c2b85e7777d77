"""Live updates over server-sent events, polled from the database every instance shares.

An agent's reply may be written by another Pomoc process, so in-process events would miss it:
each stream reads a small version tuple every `POLL_SECONDS` and renders only when it changes.
"""

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse
from sqlmodel import func, select

from adapters.panel import api
from adapters.panel.auth import services
from adapters.panel.schemas import TicketDetail
from adapters.panel.services import Services
from adapters.panel.web import render
from adapters.panel.web.pages import LIST_LIMIT, session_shop
from bot.errors import NotFound
from storage import repositories as repo
from storage.models import Message, Shop, Ticket

POLL_SECONDS = 0.3
KEEPALIVE_SECONDS = 15
# The browser reconnects on its own; a bounded stream keeps a forgotten tab from holding one
# connection for days.
LIFETIME_SECONDS = 300
HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}

router = APIRouter(prefix="/panel", include_in_schema=False)


def shop_version(svc: Services, shop_id: int) -> Hashable:
    """Changes whenever a ticket of the shop gains a message, changes status or read state."""
    with svc.db.transaction() as session:
        tickets = session.exec(
            select(
                func.count(), func.max(Ticket.updated_at), func.max(Ticket.last_activity_at)
            ).where(Ticket.shop_id == shop_id, Ticket.status != "purged")
        ).one()
        latest = session.exec(
            select(func.max(Message.id)).join(Ticket).where(Ticket.shop_id == shop_id)
        ).one()
        return (*tickets, latest, repo.unread_count(session, shop_id))


def ticket_version(svc: Services, shop_id: int, ticket_id: int) -> Hashable:
    with svc.db.transaction() as session:
        ticket = repo.shop_ticket(session, shop_id, ticket_id)
        if ticket is None:
            return None
        messages = session.exec(
            select(func.count(), func.max(Message.id), func.max(Message.edited_at)).where(
                Message.ticket_id == ticket_id,
                Message.author != "note",
                Message.deleted_at.is_(None),
            )
        ).one()
        unread = repo.unread_count(session, shop_id)
        return (ticket.status, ticket.unread, ticket.updated_at, *messages, unread)


async def inbox_html(request: Request, svc: Services, shop: Shop) -> tuple[str, int]:
    listed = await api.list_tickets(shop, svc, limit=LIST_LIMIT, offset=0)
    html = render.fragment("_tickets.html", tickets=listed.tickets, **render.context(svc, request))
    return html, listed.unread


def conversation_html(request: Request, svc: Services, ticket: TicketDetail) -> str:
    return render.fragment("_conversation.html", t=ticket, **render.context(svc, request))


async def _events(
    version: Callable[[], Hashable], payload: Callable[[], Awaitable[dict | None]]
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
    shop, svc = session_shop(request), services(request)
    if shop is None:
        return Response(status_code=401)

    async def payload() -> dict:
        html, unread = await inbox_html(request, svc, shop)
        return {"html": html, "unread": unread}

    return _stream(_events(lambda: shop_version(svc, shop.id), payload))


@router.get("/tickets/{ticket_id}/events")
async def ticket_events(ticket_id: api.RowId, request: Request) -> Response:
    """One conversation as it changes: agents' replies, status, the badge."""
    shop, svc = session_shop(request), services(request)
    if shop is None:
        return Response(status_code=401)
    if await run_in_threadpool(ticket_version, svc, shop.id, ticket_id) is None:
        return Response(status_code=404)

    async def payload() -> dict | None:
        try:
            ticket = await run_in_threadpool(api.ticket_detail, svc, shop, ticket_id)
            unread = (await api.unread(shop, svc)).unread
        except NotFound:
            return None
        return {
            "html": conversation_html(request, svc, ticket),
            "unread": unread,
            "ticket_unread": ticket.unread,
            "status": ticket.status,
        }

    return _stream(_events(lambda: ticket_version(svc, shop.id, ticket_id), payload))
