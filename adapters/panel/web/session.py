"""Web inbox sessions: a signed HttpOnly cookie per shop, and the CSRF token bound to it."""

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from bot import texts
from bot.core import Core
from storage.models import Shop

COOKIE = "pomoc_session"
CSRF_HEADER = "x-csrf-token"
MAX_AGE = timedelta(hours=12)
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# The login form authenticates by the token it carries, never by the cookie.
CSRF_EXEMPT = frozenset({"/panel/login"})


@dataclass(frozen=True, slots=True)
class WebSession:
    shop: Shop
    csrf_token: str


class SessionSigner:
    """Signs `shop id . issued . nonce`; the MAC also covers the shop's token hash, so rotating
    the shop's token ends every session opened with the old one."""

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("the web inbox needs a secret key (POMOC_SECRET_KEY)")
        # A derived key: the cookie MAC never reuses the raw secret other components may use.
        self._key = hmac.new(secret.encode(), b"pomoc/panel-session", hashlib.sha256).digest()

    def _mac(self, *parts: str) -> str:
        digest = hmac.new(self._key, "|".join(parts).encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def issue(self, shop: Shop, *, now: datetime) -> str:
        shop_id, issued, nonce = str(shop.id), str(int(now.timestamp())), secrets.token_urlsafe(16)
        mac = self._mac(shop_id, issued, nonce, shop.token_hash)
        return ".".join((shop_id, issued, nonce, mac))

    @staticmethod
    def shop_id(cookie: str) -> int | None:
        """The shop a cookie claims (unverified: `verify` decides once the shop is loaded)."""
        parts = cookie.split(".")
        if len(parts) != 4 or not parts[0].isdigit() or len(parts[0]) > 10:
            return None
        return int(parts[0])

    def verify(self, cookie: str, shop: Shop, *, now: datetime) -> WebSession | None:
        shop_id, issued, nonce, mac = cookie.split(".")
        expected = self._mac(shop_id, issued, nonce, shop.token_hash)
        if not issued.isdigit() or not hmac.compare_digest(mac, expected):
            return None
        age = now.timestamp() - int(issued)
        if not -60 <= age <= MAX_AGE.total_seconds():
            return None
        return WebSession(shop=shop, csrf_token=self._mac("csrf", nonce))


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


def _load_shop(app: Core, shop_id: int) -> Shop | None:
    with app.db.transaction() as session:
        shop = session.get(Shop, shop_id)
        return shop if shop is not None and shop.active else None


class PanelSessions:
    """Turns a valid session cookie into `request.state.session_shop` (what `current_shop`
    reads), and refuses a state-changing cookie request without the session's CSRF token."""

    def __init__(self, app: ASGIApp, *, signer: SessionSigner) -> None:
        self.app = app
        self.signer = signer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        # A bearer request is the platform's server talking: it never rides on a browser cookie.
        if "authorization" not in headers:
            web = await self._session(scope, headers)
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
                state["csrf_token"] = web.csrf_token
        await self.app(scope, receive, send)

    async def _session(self, scope: Scope, headers: Headers) -> WebSession | None:
        cookie = _cookie(headers.get("cookie", ""))
        shop_id = self.signer.shop_id(cookie) if cookie else None
        if shop_id is None:
            return None
        app: Core = scope["app"].state.core
        shop = await run_in_threadpool(_load_shop, app, shop_id)
        if shop is None:
            return None
        return self.signer.verify(cookie, shop, now=app.ctx.clock.now())


def _cookie(header: str) -> str:
    for pair in header.split(";"):
        name, _, value = pair.strip().partition("=")
        if name == COOKIE:
            return value
    return ""
