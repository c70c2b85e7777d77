"""Per-shop authentication: a bearer token whose SHA-256 is stored, never the token itself."""

from fastapi import HTTPException, Request
from fastapi.concurrency import run_in_threadpool

from adapters.panel.services import Services
from bot import texts
from storage import repositories as repo
from storage.models import Shop


def services(request: Request) -> Services:
    return request.app.state.services


def _lookup(svc: Services, token: str) -> Shop | None:
    with svc.db.transaction() as session:
        return repo.shop_by_token(session, token)


async def current_shop(request: Request) -> Shop:
    """The shop behind the request's bearer token (or the web inbox's session), else 401."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    shop = None
    if scheme.lower() == "bearer" and token.strip():
        shop = await run_in_threadpool(_lookup, services(request), token.strip())
    elif (session_shop := getattr(request.state, "session_shop", None)) is not None:
        shop = session_shop
    if shop is None:
        raise HTTPException(
            status_code=401,
            detail=texts.UNAUTHORIZED,
            headers={"WWW-Authenticate": "Bearer"},
        )
    return shop
