"""The web inbox's pages: login, ticket list, new-ticket form, conversation, article hints."""

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from adapters.panel import api
from adapters.panel.auth import services
from adapters.panel.services import Services
from adapters.panel.web import render
from adapters.panel.web.session import SessionSigner, clear_session_cookie, set_session_cookie
from bot import texts
from bot.errors import NotFound
from storage import repositories as repo
from storage.models import Shop

STATIC = Path(__file__).resolve().parent.parent / "static"
STATIC_FILES = {"inbox.css": "text/css", "inbox.js": "text/javascript"}
LIST_LIMIT = 200
# Only the start of a long description matters for finding articles.
HINT_CHARS = 2000

ServicesDep = Annotated[Services, Depends(services)]
router = APIRouter(prefix="/panel", include_in_schema=False)


class HintQuery(BaseModel):
    title: str = Field(default="", max_length=40_000)
    body: str = Field(default="", max_length=40_000)


def session_shop(request: Request) -> Shop | None:
    return getattr(request.state, "session_shop", None)


def login_page(request: Request, svc: Services, *, message: str = "") -> HTMLResponse:
    values = render.context(svc, request)
    return render.page("login.html", status=401, message=message, **values)


async def not_found_page(request: Request, svc: Services, shop: Shop) -> HTMLResponse:
    unread = (await api.unread(shop, svc)).unread
    values = render.context(svc, request)
    return render.page("not_found.html", status=404, shop=shop, unread=unread, **values)


def _secure(request: Request, svc: Services) -> bool:
    """Whether the cookie must be HTTPS-only: served over HTTPS, or behind a proxy that is."""
    return request.url.scheme == "https" or svc.config.server.public_url.startswith("https:")


async def _log_in(request: Request, svc: Services, token: str) -> Response:
    def lookup() -> Shop | None:
        with svc.db.transaction() as session:
            return repo.shop_by_token(session, token.strip())

    shop = await run_in_threadpool(lookup) if token.strip() else None
    if shop is None:
        response = login_page(request, svc, message=texts.WEB_LOGIN_FAILED)
    else:
        # A redirect at once: the token must not stay in the address bar, history or Referer.
        response = RedirectResponse("/panel", status_code=303)
        signer: SessionSigner = request.app.state.session_signer
        cookie = signer.issue(shop, now=svc.ctx.clock.now())
        set_session_cookie(response, cookie, secure=_secure(request, svc))
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/login")
async def login_link(
    request: Request, svc: ServicesDep, token: Annotated[str, Query(max_length=200)] = ""
) -> Response:
    """The link the platform gives the owner: exchanges the shop token for a session cookie."""
    return await _log_in(request, svc, token)


@router.post("/login")
async def login_form(
    request: Request, svc: ServicesDep, token: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    return await _log_in(request, svc, token)


@router.post("/logout", status_code=204)
async def log_out(request: Request, svc: ServicesDep) -> Response:
    """Forget the session in this browser (a live session's CSRF token was checked already).

    The cookie is signed, not stored: one copied elsewhere stays valid until it expires
    (12 hours) or the shop's token is rotated."""
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    clear_session_cookie(response, secure=_secure(request, svc))
    return response


@router.get("")
async def inbox(request: Request, svc: ServicesDep) -> Response:
    shop = session_shop(request)
    if shop is None:
        return login_page(request, svc)
    listed = await api.list_tickets(shop, svc, limit=LIST_LIMIT, offset=0)
    values = render.context(svc, request)
    return render.page(
        "inbox.html", tickets=listed.tickets, unread=listed.unread, shop=shop, **values
    )


@router.get("/new")
async def new_ticket(request: Request, svc: ServicesDep) -> Response:
    shop = session_shop(request)
    if shop is None:
        return login_page(request, svc)
    return render.page(
        "new.html",
        shop=shop,
        unread=(await api.unread(shop, svc)).unread,
        limits=render.attachment_limits(svc.config.attachments),
        hours=render.hours_label(svc.config.support_hours),
        **render.context(svc, request),
    )


@router.get("/tickets/{ticket_id}")
async def ticket_page(ticket_id: api.RowId, request: Request, svc: ServicesDep) -> Response:
    shop = session_shop(request)
    if shop is None:
        return login_page(request, svc)
    try:
        # Opening the ticket is reading it: the row stops being orange and the badge updates.
        unread = (await api.mark_read(ticket_id, shop, svc)).unread
        ticket = await run_in_threadpool(api.ticket_detail, svc, shop, ticket_id)
    except NotFound:
        return await not_found_page(request, svc, shop)
    return render.page(
        "ticket.html",
        shop=shop,
        t=ticket,
        unread=unread,
        limits=render.attachment_limits(svc.config.attachments),
        **render.context(svc, request),
    )


@router.post("/hints")
async def article_hints(query: HintQuery, request: Request, svc: ServicesDep) -> Response:
    """Help-center articles matching what the owner is typing, before the ticket is sent."""
    if session_shop(request) is None:
        return Response(status_code=401)
    title, body = query.title.strip()[:HINT_CHARS], query.body.strip()[:HINT_CHARS]
    suggestions = ()
    if len(title) + len(body) >= 3:
        result = await run_in_threadpool(svc.ctx.triager.assess, title=title, body=body)
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
