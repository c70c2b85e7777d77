"""Web inbox sessions: a random HttpOnly cookie whose hash is a `web_session` row, so logging
out (or a rotated token, a deactivated shop) ends the session on the server; the CSRF token is
bound to it."""

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from sqlmodel import Session
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from bot import texts
from bot.core import Core
from storage import platform as platform_repo
from storage import repositories as repo
from storage.models import Shop, WebSession

COOKIE = "pomoc_session"
CSRF_HEADER = "x-csrf-token"
MAX_AGE = timedelta(hours=12)
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Login authenticates by the link or key it carries, never by the cookie (it checks the origin).
CSRF_EXEMPT = frozenset({"/panel/login", "/panel/login/link"})


@dataclass(frozen=True, slots=True)
class WebSessionState:
    shop: Shop
    token: str
    csrf_token: str


class Sessions:
    """Opens, finds and ends sessions; the CSRF token is a MAC of the session's token."""

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("the web inbox needs a secret key (POMOC_SECRET_KEY)")
        # A derived key: the CSRF MAC never reuses the raw secret other components may use.
        self._key = hmac.new(secret.encode(), b"pomoc/panel-session", hashlib.sha256).digest()

    def csrf_token(self, token: str) -> str:
        digest = hmac.new(self._key, f"csrf|{token}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def open(self, app: Core, shop: Shop, *, now: datetime) -> str:
        """A new session for the shop (in its own transaction); returns the cookie value."""
        with app.db.transaction() as session:
            return self.open_in(session, shop, now=now)

    @staticmethod
    def open_in(session: Session, shop: Shop, *, now: datetime) -> str:
        """A new session written in the caller's transaction (a login link is used up in it)."""
        token = secrets.token_urlsafe(32)
        session.add(
            WebSession(
                token_hash=repo.hash_token(token),
                shop_id=repo.row_id(shop),
                created_at=now,
                expires_at=now + MAX_AGE,
            )
        )
        return token

    def find(self, app: Core, token: str) -> WebSessionState | None:
        if not token or len(token) > 100:
            return None
        with app.db.transaction() as session:
            shop = platform_repo.session_shop(session, token, app.ctx.clock.now())
        if shop is None:
            return None
        return WebSessionState(shop=shop, token=token, csrf_token=self.csrf_token(token))

    @staticmethod
    def end(app: Core, token: str) -> None:
        with app.db.transaction() as session:
            platform_repo.forget_session(session, token, now=app.ctx.clock.now())


def set_session_cookie(response: Response, value: str, *, secure: bool) -> None:
    response.set_cookie(
        COOKIE,
        value,
        max_age=int(MAX_AGE.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure,
    )


def clear_session_cookie(response: Response, *, secure: bool) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=secure)


class PanelSessions:
    """Turns a live session cookie into `request.state.session_shop` (what `current_shop`
    reads), and refuses a state-changing cookie request without the session's CSRF token."""

    def __init__(self, app: ASGIApp, *, sessions: Sessions) -> None:
        self.app = app
        self.sessions = sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        # A bearer request is the platform's server talking: it never rides on a browser cookie.
        if "authorization" not in headers:
            token = cookie_value(headers.get("cookie", ""))
            app: Core = scope["app"].state.core
            web = await run_in_threadpool(self.sessions.find, app, token) if token else None
            if web is not None:
                if (
                    scope["method"] in UNSAFE_METHODS
                    and scope["path"] not in CSRF_EXEMPT
                    and not hmac.compare_digest(headers.get(CSRF_HEADER, ""), web.csrf_token)
                ):
                    response = JSONResponse(
                        {"detail": texts.WEB_CSRF_FAILED, "errors": []}, status_code=403
                    )
                    await response(scope, receive, send)
                    return
                state = scope.setdefault("state", {})
                state["session_shop"] = web.shop
                state["session_token"] = web.token
                state["csrf_token"] = web.csrf_token
        await self.app(scope, receive, send)


def cookie_value(header: str) -> str:
    for pair in header.split(";"):
        name, _, value = pair.strip().partition("=")
        if name == COOKIE:
            return value
    return ""
