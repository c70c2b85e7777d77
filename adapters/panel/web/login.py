"""Logging in to the web inbox: single-use links (issued or platform-signed), the shop's key in a
form, logout. Only from Pomoc's own pages: a cross-site post never logs anyone in."""

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from adapters.panel.auth import CoreDep
from adapters.panel.bodies import FORM_TYPE, media_type, parse_body
from adapters.panel.web import render
from adapters.panel.web.pages import login_page, session_shop
from adapters.panel.web.session import Sessions, clear_session_cookie, set_session_cookie
from bot import shops, texts
from bot.core import Core
from storage import repositories as repo
from storage.models import Shop

router = APIRouter(prefix="/panel", include_in_schema=False)
# Neither the link nor the key may leak through a Referer, or stay in a cache.
PRIVATE = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


class LinkIn(BaseModel):
    link: str = Field(max_length=2000)  # what followed `#` in the login link
    switch: bool = False  # replace a live session of another shop


def _secure(request: Request, app: Core) -> bool:
    """Whether the cookie must be HTTPS-only: served over HTTPS, or behind a proxy that is."""
    return request.url.scheme == "https" or app.config.server.public_url.startswith("https:")


def from_our_page(request: Request, app: Core, *, platform: bool = False) -> bool:
    """Whether the browser says the post comes from Pomoc's own page, or (with `platform`) from
    one of the platform's pages named in the config: login CSRF defence."""
    origin = request.headers.get("origin", "")
    if platform and origin in app.config.panel.platform_origins:
        return True
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site == "same-origin"
    if not origin:
        return False
    own = f"{request.url.scheme}://{request.headers.get('host', '')}"
    return origin in (own, app.ctx.public_url)


@dataclass(frozen=True)
class Refused:
    """Why nobody is logged in: JSON for the login page's script, a page for a form's post.
    Switching shops (409) asks first, with the question's two buttons."""

    status: int
    detail: str
    buttons: dict[str, str] = field(default_factory=dict)  # confirm, cancel

    def as_json(self) -> JSONResponse:
        body = {"detail": self.detail, "errors": [], **self.buttons}
        return JSONResponse(body, status_code=self.status, headers=PRIVATE)


def _sessions(request: Request) -> Sessions:
    sessions: Sessions = request.app.state.sessions
    return sessions


def _redeem(request: Request, app: Core, answer: LinkIn) -> tuple[Shop, str] | Refused:
    """Use the link up and open a session in one transaction; or say why not."""
    now = app.ctx.clock.now()
    current = session_shop(request)
    with app.db.transaction() as session:
        target = shops.link_target(
            session, answer.link, secret=app.ctx.secrets.login_link_secret, now=now
        )
        if target is None:
            return Refused(401, texts.WEB_LOGIN_FAILED)
        if current is not None and current.id != target.shop.id and not answer.switch:
            names = {"current": current.name, "new": target.shop.name}
            buttons = {
                "confirm": texts.WEB_SWITCH_BUTTON.format(**names),
                "cancel": texts.WEB_STAY_BUTTON.format(**names),
            }
            return Refused(409, texts.WEB_SWITCH_SHOP.format(**names), buttons)
        if not shops.use_link(session, target, now=now):
            return Refused(401, texts.WEB_LOGIN_FAILED)
        token = Sessions.open_in(session, target.shop, now=now)
    return target.shop, token


def _logged_in(request: Request, app: Core, response: Response, token: str) -> Response:
    previous = getattr(request.state, "session_token", None)
    if previous:
        Sessions.end(app, previous)
    set_session_cookie(response, token, secure=_secure(request, app))
    response.headers.update(PRIVATE)
    return response


@router.get("/login")
async def login(request: Request, app: CoreDep) -> Response:
    """The page a login link opens; its script posts what follows `#`. A shop token in the URL
    (the old `?token=` links) is refused: it would stay in history and logs."""
    message = texts.WEB_LOGIN_FAILED if "token" in request.query_params else ""
    response = login_page(request, app, message=message)
    response.headers.update(PRIVATE)
    return response


@router.post("/login/link")
async def login_with_link(request: Request, app: CoreDep) -> Response:
    """The link's secret, posted by the login page's script (JSON) or by a form on one of the
    platform's pages (`link=...`, so the secret is never in a URL, not even in history)."""
    from_form = media_type(request) == FORM_TYPE
    if not from_our_page(request, app, platform=from_form):
        return Refused(403, texts.WEB_LOGIN_CROSS_SITE).as_json()
    answer = (await parse_body(request, LinkIn)).fields
    assert isinstance(answer, LinkIn)
    redeemed = await run_in_threadpool(_redeem, request, app, answer)
    if isinstance(redeemed, Refused):
        return _as_page(request, app, redeemed, answer) if from_form else redeemed.as_json()
    _shop, token = redeemed
    response = (
        RedirectResponse("/panel", 303) if from_form else JSONResponse({"location": "/panel"})
    )
    return await run_in_threadpool(_logged_in, request, app, response, token)


def _as_page(request: Request, app: Core, refused: Refused, answer: LinkIn) -> Response:
    """A refusal as the login page (a form post shows a page, not JSON); switching shops asks."""
    if refused.status == 409:
        page = render.page(
            "switch_shop.html",
            status=409,
            question=refused.detail,
            confirm=refused.buttons["confirm"],
            cancel=refused.buttons["cancel"],
            link=answer.link,
            **render.context(app, request),
        )
    else:
        page = login_page(request, app, message=refused.detail)
        page.status_code = refused.status
    page.headers.update(PRIVATE)
    return page


@router.post("/login")
async def login_with_key(
    request: Request, app: CoreDep, token: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    """The shop's API key pasted into the form (kept for owners without the platform's link)."""
    if not from_our_page(request, app):
        refused = login_page(request, app, message=texts.WEB_LOGIN_CROSS_SITE)
        refused.status_code = 403
        return refused

    def lookup() -> Shop | None:
        with app.db.transaction() as session:
            return repo.shop_by_token(session, token.strip())

    shop = await run_in_threadpool(lookup) if token.strip() else None
    if shop is None:
        return login_page(request, app, message=texts.WEB_LOGIN_FAILED)
    cookie = await run_in_threadpool(_sessions(request).open, app, shop, now=app.ctx.clock.now())
    response = RedirectResponse("/panel", status_code=303)
    return await run_in_threadpool(_logged_in, request, app, response, cookie)


@router.post("/logout", status_code=204)
async def log_out(request: Request, app: CoreDep) -> Response:
    """End the session on the server (a live session's CSRF token was checked already): a
    copy of the cookie elsewhere stops working too."""
    token = getattr(request.state, "session_token", None)
    if token:
        await run_in_threadpool(Sessions.end, app, token)
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    clear_session_cookie(response, secure=_secure(request, app))
    return response
