"""The "!" beside POMOC for the platform's own top bar: a tiny page to embed (an iframe) for the
signed-in shop, updated live, that also tells the embedding page the count (postMessage)."""

import json

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from adapters.panel.auth import core
from adapters.panel.web import live, render
from adapters.panel.web.pages import session_shop
from storage import repositories as repo

router = APIRouter(prefix="/panel", include_in_schema=False)


def _headers(origins: tuple[str, ...]) -> dict[str, str]:
    """The inbox's headers, but framable by the platform's pages named in the config."""
    ancestors = " ".join(("'self'", *origins))
    csp = render.CSP.replace("frame-ancestors 'self'", f"frame-ancestors {ancestors}")
    return {**render.SECURITY_HEADERS, "Content-Security-Policy": csp}


@router.get("/badge")
async def badge(request: Request) -> Response:
    """The badge; without a session it stays empty (the platform shows its own login flow)."""
    app, shop = core(request), session_shop(request)
    unread = await run_in_threadpool(app.inbox.unread, repo.row_id(shop)) if shop else 0
    origins = app.config.panel.platform_origins
    html = render.fragment(
        "badge.html",
        signed_in=shop is not None,
        unread=unread,
        origins=json.dumps(list(origins) or [app.ctx.public_url]),
    )
    return HTMLResponse(html, headers=_headers(origins))


@router.get("/badge/events")
async def badge_events(request: Request) -> Response:
    """The unread count whenever it changes (a server-sent event stream)."""
    app, shop = core(request), session_shop(request)
    if shop is None:
        return Response(status_code=401)
    shop_id = repo.row_id(shop)
    unread = 0

    def count() -> int:
        nonlocal unread
        unread = app.inbox.unread(shop_id)
        return unread

    async def payload() -> dict[str, object]:
        # The stream asks for the payload right after the count changed: that count is it.
        return {"unread": unread}

    return live._stream(request, shop, count, payload)
