"""Who calls: a shop by its bearer token or web session, or the platform by its own key (acting
for a shop named in a header). Only SHA-256 hashes of tokens and keys are stored."""

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.datastructures import Headers

from adapters.panel.refusals import Refusal
from bot import texts
from bot.clock import SystemTimer, Timer
from bot.core import Core
from storage import platform as platform_repo
from storage import repositories as repo
from storage.models import Shop

# The header naming the shop (by the platform's own id) a platform-key request acts for.
SHOP_HEADER = "pomoc-shop"
PLATFORM_KEY_STATE = "platform.key_hash"


# Only for the published OpenAPI (a bearer security scheme on every API operation): the
# functions below read the header themselves, so guards can call them with a bare request.
BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="A shop's API token, or the platform's key (with Pomoc-Shop on shop operations).",
)


async def documented_auth(
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)],
    _shop: Annotated[
        str | None,
        Header(
            alias="Pomoc-Shop",
            max_length=100,
            description="With the platform's key: the platform's id of the shop to act for.",
        ),
    ] = None,
) -> None:
    """Declares how the API authenticates; `current_caller` does it."""


def core(request: Request) -> Core:
    app_core: Core = request.app.state.core
    return app_core


CoreDep = Annotated[Core, Depends(core)]


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated caller: a shop itself, or the platform (acting for `shop` if named)."""

    shop: Shop | None
    platform: bool = False

    @property
    def principal(self) -> str:
        """Whose idempotency keys these are."""
        shop = "" if self.shop is None else f"shop:{self.shop.id}"
        return f"platform:{shop}" if self.platform else shop


def principal(request: Request) -> str:
    """The principal of the caller the credential check left in the request's state."""
    caller: Caller = request.state.caller
    return caller.principal


class TokenCache:
    """Known-good tokens for a few seconds, so a busy shop is not one query per request.

    Only successful lookups are kept (bad tokens cannot fill it); a deactivated shop's token
    stops working within `ttl` seconds on every instance (at once on the one that did it).
    """

    def __init__(self, *, ttl: float = 10.0, size: int = 10_000, timer: Timer | None = None):
        self.ttl = ttl
        self.size = size
        self.timer = timer or SystemTimer()
        self._entries: dict[str, tuple[Shop, float]] = {}

    def cached(self, token: str) -> Shop | None:
        """The shop of a token looked up less than `ttl` seconds ago (no database call)."""
        entry = self._entries.get(repo.hash_token(token))
        if entry is not None and entry[1] > self.timer.monotonic():
            return entry[0]
        return None

    def lookup(self, app: Core, token: str) -> Shop | None:
        """Ask the database, and remember a shop it finds."""
        with app.db.transaction() as session:
            shop = repo.shop_by_token(session, token)
        if shop is not None:
            self.remember(repo.hash_token(token), shop)
        return shop

    def remember(self, key: str, shop: Shop) -> None:
        if len(self._entries) >= self.size:
            self._entries.clear()
        self._entries[key] = (shop, self.timer.monotonic() + self.ttl)

    def forget(self, shop_id: int) -> None:
        """Drop every entry of the shop (its token was rotated or it was deactivated here)."""
        for key in [k for k, (shop, _) in self._entries.items() if shop.id == shop_id]:
            del self._entries[key]


class PlatformKeys:
    """Whether a bearer token is the platform's key: POMOC_PLATFORM_KEY, or the hash that
    `pomoc platform key` stored (read again after `ttl` seconds, so a new key is picked up)."""

    def __init__(self, *, ttl: float = 10.0, timer: Timer | None = None) -> None:
        self.ttl = ttl
        self.timer = timer or SystemTimer()
        self._stored: tuple[str | None, float] = (None, float("-inf"))

    def _stored_hash(self, app: Core) -> str | None:
        value, expires = self._stored
        if expires <= self.timer.monotonic():
            with app.db.transaction() as session:
                value = repo.get_sync_state(session, PLATFORM_KEY_STATE)
            self._stored = (value, self.timer.monotonic() + self.ttl)
        return value

    def matches(self, app: Core, token: str) -> bool:
        digest = repo.hash_token(token)
        configured = app.ctx.secrets.platform_key
        candidates = [repo.hash_token(configured)] if configured else []
        stored = self._stored_hash(app)
        if stored:
            candidates.append(stored)
        return any(hmac.compare_digest(digest, known) for known in candidates)


def bearer_token(headers: Headers) -> str | None:
    """The token of an `Authorization: Bearer ...` header, if there is one."""
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def unauthorized() -> Refusal:
    return Refusal(
        status_code=401, detail=texts.UNAUTHORIZED, headers={"WWW-Authenticate": "Bearer"}
    )


def _shop_by_external_id(app: Core, external_id: str) -> Shop | None:
    with app.db.transaction() as session:
        shop = platform_repo.shop_by_external_id(session, external_id)
        return shop if shop is not None and shop.active else None


async def _bearer_caller(request: Request, token: str) -> Caller | None:
    app = core(request)
    tokens: TokenCache = request.app.state.tokens
    shop = tokens.cached(token)
    if shop is not None:
        return Caller(shop)
    # The platform's key before the database lookup of shop tokens: comparing it costs no query,
    # and the lookup below is where failed attempts are counted.
    keys: PlatformKeys = request.app.state.platform_keys
    if await run_in_threadpool(keys.matches, app, token):
        return await _platform_caller(request, app)
    shop = await run_in_threadpool(tokens.lookup, app, token)
    return Caller(shop) if shop is not None else None


async def _platform_caller(request: Request, app: Core) -> Caller:
    acting_for = request.headers.get(SHOP_HEADER, "").strip()
    if not acting_for:
        return Caller(None, platform=True)
    shop = await run_in_threadpool(_shop_by_external_id, app, acting_for[:100])
    if shop is None:
        raise Refusal(status_code=404, detail=texts.SHOP_UNKNOWN)
    return Caller(shop, platform=True)


async def current_caller(request: Request) -> Caller:
    """The caller behind the bearer token (or the web inbox's session), else 401."""
    caller = None
    if (token := bearer_token(request.headers)) is not None:
        caller = await _bearer_caller(request, token)
    elif (session_shop := getattr(request.state, "session_shop", None)) is not None:
        caller = Caller(session_shop)
    if caller is None:
        raise unauthorized()
    request.state.caller = caller
    return caller


async def current_shop(request: Request) -> Shop:
    """The shop a request is about: its own token or session, or the one the platform names."""
    caller = await current_caller(request)
    if caller.shop is None:
        raise Refusal(status_code=400, detail=texts.SHOP_HEADER_MISSING)
    return caller.shop


async def platform_caller(request: Request) -> Caller:
    """Only the platform's key (without a shop header) may manage shops."""
    caller = await current_caller(request)
    if not caller.platform:
        raise Refusal(status_code=403, detail=texts.PLATFORM_ONLY)
    return caller
