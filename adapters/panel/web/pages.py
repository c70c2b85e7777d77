"""The web inbox's pages: login, ticket list, new-ticket form, conversation, article hints."""

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import BaseModel, Field

from adapters.panel.api import RowId
from adapters.panel.auth import CoreDep
from adapters.panel.schemas import detail_out, list_out
from adapters.panel.web import render
from bot.core import Core
from bot.errors import NotFound
from bot.views import Suggestion
from storage import repositories as repo
from storage.models import Shop

STATIC = Path(__file__).resolve().parent.parent / "static"
STATIC_FILES = {
    "inbox.css": "text/css",
    "inbox.js": "text/javascript",
    "login.js": "text/javascript",
    "badge.js": "text/javascript",
}
LIST_LIMIT = 200
# Only the start of a long description matters for finding articles.
HINT_CHARS = 2000

router = APIRouter(prefix="/panel", include_in_schema=False)


class HintQuery(BaseModel):
    title: str = Field(default="", max_length=40_000)
    body: str = Field(default="", max_length=40_000)


def session_shop(request: Request) -> Shop | None:
    shop: Shop | None = getattr(request.state, "session_shop", None)
    return shop


def login_page(request: Request, app: Core, *, message: str = "") -> HTMLResponse:
    values = render.context(app, request)
    return render.page("login.html", status=401, message=message, **values)


async def unread_count(app: Core, shop: Shop) -> int:
    return await run_in_threadpool(app.inbox.unread, repo.row_id(shop))


async def not_found_page(request: Request, app: Core, shop: Shop) -> HTMLResponse:
    unread = await unread_count(app, shop)
    values = render.context(app, request)
    return render.page("not_found.html", status=404, shop=shop, unread=unread, **values)


@router.get("")
async def inbox(request: Request, app: CoreDep) -> Response:
    shop = session_shop(request)
    if shop is None:
        return login_page(request, app)
    listed = list_out(
        await run_in_threadpool(app.inbox.tickets, repo.row_id(shop), limit=LIST_LIMIT)
    )
    values = render.context(app, request)
    return render.page(
        "inbox.html", tickets=listed.tickets, unread=listed.unread, shop=shop, **values
    )


@router.get("/new")
async def new_ticket(request: Request, app: CoreDep) -> Response:
    shop = session_shop(request)
    if shop is None:
        return login_page(request, app)
    return render.page(
        "new.html",
        shop=shop,
        unread=await unread_count(app, shop),
        limits=render.attachment_limits(app.config.attachments),
        hours=render.hours_label(app.config.support_hours),
        **render.context(app, request),
    )


@router.get("/tickets/{ticket_id}")
async def ticket_page(ticket_id: RowId, request: Request, app: CoreDep) -> Response:
    shop = session_shop(request)
    if shop is None:
        return login_page(request, app)
    shop_id = repo.row_id(shop)
    try:
        # Opening the ticket is reading it: the row stops being orange and the badge updates.
        unread = await run_in_threadpool(app.inbox.mark_read, shop_id, ticket_id)
        ticket = detail_out(await run_in_threadpool(app.inbox.conversation, shop_id, ticket_id))
    except NotFound:
        return await not_found_page(request, app, shop)
    return render.page(
        "ticket.html",
        shop=shop,
        t=ticket,
        unread=unread,
        limits=render.attachment_limits(app.config.attachments),
        **render.context(app, request),
    )


@router.post("/hints")
async def article_hints(query: HintQuery, request: Request, app: CoreDep) -> Response:
    """Help-center articles matching what the owner is typing, before the ticket is sent."""
    if session_shop(request) is None:
        return Response(status_code=401)
    title, body = query.title.strip()[:HINT_CHARS], query.body.strip()[:HINT_CHARS]
    suggestions: tuple[Suggestion, ...] = ()
    if len(title) + len(body) >= 3:
        result = await run_in_threadpool(app.ctx.triager.assess, title=title, body=body)
        suggestions = result.suggestions
    html = render.fragment("_hints.html", suggestions=suggestions)
    return HTMLResponse(html, headers=render.SECURITY_HEADERS)


@router.get("/static/{name}")
async def static(name: str) -> Response:
    if name not in STATIC_FILES:
        return Response(status_code=404)
    return FileResponse(
        STATIC / name,
        media_type=STATIC_FILES[name],
        headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
    )
