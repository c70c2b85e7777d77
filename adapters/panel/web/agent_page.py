"""Agents' read-only ticket page, reached by a signed, time-bounded link from the chat."""

# The link names one ticket and carries an HMAC (bot/agent_links.py): no shop token, no session,
# nothing else opens with it. The page only shows (description, the whole conversation with
# notes, files, audit trail, triage); acting stays in chat.

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, Response

from adapters.panel.api import RowId
from adapters.panel.auth import CoreDep
from adapters.panel.web import render
from bot import catalogue as cat
from bot.core import Core
from bot.snapshots import agent_attachment, agent_ticket

Expires = Annotated[int, Query(ge=0, le=2**40)]
Signature = Annotated[str, Query(max_length=100)]
# The link is the credential: it must not leave through Referer, caches or search engines.
PRIVATE = {
    **render.SECURITY_HEADERS,
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
}
router = APIRouter(prefix="/agent", include_in_schema=False)


def _allowed(app: Core, ticket_id: int, exp: int, sig: str) -> bool:
    return app.ctx.agent_links.valid(ticket_id, expires=exp, signature=sig, now=app.ctx.clock.now())


def _refused(app: Core) -> HTMLResponse:
    language = app.config.chat.language
    html = render.fragment(
        "agent_refused.html", language=language, message=cat.text(cat.PAGE_LINK_INVALID, language)
    )
    return HTMLResponse(html, status_code=403, headers=PRIVATE)


@router.get("/tickets/{ticket_id}")
async def agent_ticket_page(
    ticket_id: RowId, request: Request, app: CoreDep, exp: Expires = 0, sig: Signature = ""
) -> Response:
    if not _allowed(app, ticket_id, exp, sig):
        return _refused(app)
    page = await run_in_threadpool(agent_ticket, app.ctx, ticket_id)
    if page is None:
        return _refused(app)
    language = app.config.chat.language
    html = render.fragment(
        "agent_ticket.html",
        page=page,
        t=page.ticket,
        query=f"exp={exp}&sig={sig}",
        language=language,
        cat=cat,
        **render.context(app, request),
    )
    return HTMLResponse(html, headers=PRIVATE)


@router.get("/tickets/{ticket_id}/attachments/{attachment_id}")
async def agent_file(
    ticket_id: RowId,
    attachment_id: RowId,
    app: CoreDep,
    exp: Expires = 0,
    sig: Signature = "",
) -> Response:
    if not _allowed(app, ticket_id, exp, sig):
        return _refused(app)
    item = await run_in_threadpool(agent_attachment, app.ctx, ticket_id, attachment_id)
    if item is None or not item.path.exists():
        return _refused(app)
    return FileResponse(
        item.path,
        media_type=item.content_type,
        filename=item.filename,
        content_disposition_type="inline" if item.is_image else "attachment",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"},
    )
