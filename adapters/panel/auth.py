"""Per-shop authentication: a bearer token whose SHA-256 is stored, never the token itself."""

from fastapi import HTTPException, Request
from fastapi.concurrency import run_in_threadpool

from bot import texts
from bot.clock import SystemTimer, Timer
from bot.core import Core
from storage import repositories as repo
from storage.models import Shop


def core(request: Request) -> Core:
    app_core: Core = request.app.state.core
    return app_core


class TokenCache:
    """Known-good tokens for a few seconds, so a busy shop is not one query per request.

    Only successful lookups are kept (bad tokens cannot fill it); a deactivated shop's token
    stops working within `ttl` seconds on every instance.
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
            if len(self._entries) >= self.size:
                self._entries.clear()
            expires = self.timer.monotonic() + self.ttl
            self._entries[repo.hash_token(token)] = (shop, expires)
        return shop


async def current_shop(request: Request) -> Shop:
    """The shop behind the request's bearer token (or the web inbox's session), else 401."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    shop = None
    if scheme.lower() == "bearer" and token.strip():
        tokens: TokenCache = request.app.state.tokens
        token = token.strip()
        shop = tokens.cached(token) or await run_in_threadpool(tokens.lookup, core(request), token)
    elif (session_shop := getattr(request.state, "session_shop", None)) is not None:
        shop = session_shop
    if shop is None:
        raise HTTPException(
            status_code=401,
            detail=texts.UNAUTHORIZED,
            headers={"WWW-Authenticate": "Bearer"},
        )
    return shop
