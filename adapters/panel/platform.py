"""The platform API: the shop platform's backend provisions shops and opens their inboxes, with
its own key (never a shop's token)."""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from adapters.panel.auth import Caller, CoreDep, TokenCache, documented_auth, platform_caller
from adapters.panel.bodies import no_body_fingerprint, parse_body
from adapters.panel.idempotency import idempotent
from adapters.panel.refusals import Refusal
from adapters.panel.schemas import ERRORS, Strict, request_body
from bot import shops, texts
from bot.core import Core
from storage import platform as platform_repo
from storage.models import Shop

ExternalId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="The platform's own id of the shop.",
    ),
]
PlatformDep = Annotated[Caller, Depends(platform_caller)]
router = APIRouter(
    prefix="/api/v1/platform",
    tags=["platform"],
    responses=ERRORS,
    dependencies=[Depends(documented_auth)],
)


class ShopIn(Strict):
    name: str = Field(min_length=1, max_length=200, pattern=r"\S")
    plan: str | None = Field(default=None, max_length=50)


class ShopOut(BaseModel):
    id: int
    external_id: str | None
    name: str
    plan: str | None
    active: bool
    created_at: datetime


class TokenOut(BaseModel):
    token: str = Field(description="The shop's new API token, shown once.")


class LoginLinkOut(BaseModel):
    url: str = Field(description="Open it in the owner's browser (once, before it expires).")
    expires_at: datetime


def shop_out(shop: Shop) -> ShopOut:
    assert shop.id is not None
    return ShopOut(
        id=shop.id,
        external_id=shop.external_id,
        name=shop.name,
        plan=shop.plan,
        active=shop.active,
        created_at=shop.created_at,
    )


def _known(session: Session, external_id: str) -> Shop:
    shop = platform_repo.shop_by_external_id(session, external_id)
    if shop is None:
        raise Refusal(404, texts.SHOP_UNKNOWN)
    return shop


@router.put(
    "/shops/{external_id}",
    response_model=ShopOut,
    responses={201: {"model": ShopOut, "description": "Created"}},
    openapi_extra=request_body(ShopIn, files=False),
)
async def put_shop(
    external_id: ExternalId, request: Request, _: PlatformDep, app: CoreDep
) -> Response:
    """Create the shop (201) or update its name and plan (200)."""
    body = (await parse_body(request, ShopIn)).fields
    assert isinstance(body, ShopIn)

    def upsert() -> tuple[ShopOut, bool]:
        now = app.ctx.clock.now()
        try:
            with app.db.transaction() as session:
                shop, created = shops.upsert(
                    session,
                    external_id=external_id,
                    name=body.name.strip(),
                    plan=body.plan,
                    now=now,
                )
                return shop_out(shop), created
        except IntegrityError:
            raise Refusal(409, texts.SHOP_NAME_TAKEN) from None

    shop, created = await run_in_threadpool(upsert)
    return Response(
        shop.model_dump_json(), status_code=201 if created else 200, media_type="application/json"
    )


@router.get("/shops/{external_id}", response_model=ShopOut)
async def get_shop(external_id: ExternalId, _: PlatformDep, app: CoreDep) -> ShopOut:
    def read() -> ShopOut:
        with app.db.transaction() as session:
            return shop_out(_known(session, external_id))

    return await run_in_threadpool(read)


async def _platform_post(
    request: Request,
    app: Core,
    caller: Caller,
    work: Callable[[Session], BaseModel],
    *,
    status_code: int = 200,
) -> Response:
    """Run `work(session)` in one transaction, once per Idempotency-Key; it returns the answer."""

    async def run() -> BaseModel:
        def in_transaction() -> BaseModel:
            with app.db.transaction() as session:
                return work(session)

        return await run_in_threadpool(in_transaction)

    fingerprint = no_body_fingerprint(request)
    return await idempotent(
        request,
        app,
        principal=caller.principal,
        fingerprint=fingerprint,
        action=run,
        status_code=status_code,
    )


def _forget(request: Request, shop: Shop) -> None:
    """This instance stops accepting the shop's old token at once (others within seconds)."""
    tokens: TokenCache = request.app.state.tokens
    if shop.id is not None:
        tokens.forget(shop.id)


@router.post("/shops/{external_id}/token", response_model=TokenOut)
async def rotate(
    external_id: ExternalId, request: Request, caller: PlatformDep, app: CoreDep
) -> Response:
    """A new API token for the shop: the old one stops working, its web sessions end."""

    def work(session: Session) -> TokenOut:
        shop = _known(session, external_id)
        token = shops.rotate_token(session, shop)
        _forget(request, shop)
        return TokenOut(token=token)

    return await _platform_post(request, app, caller, work)


async def _set_active(
    request: Request, app: Core, caller: Caller, external_id: str, *, active: bool
) -> Response:
    def work(session: Session) -> ShopOut:
        shop = _known(session, external_id)
        shops.set_active(session, shop, active=active)
        _forget(request, shop)
        return shop_out(shop)

    return await _platform_post(request, app, caller, work)


@router.post("/shops/{external_id}/deactivate", response_model=ShopOut)
async def deactivate(
    external_id: ExternalId, request: Request, caller: PlatformDep, app: CoreDep
) -> Response:
    """The shop's token, login links and sessions stop working; its tickets stay."""
    return await _set_active(request, app, caller, external_id, active=False)


@router.post("/shops/{external_id}/activate", response_model=ShopOut)
async def activate(
    external_id: ExternalId, request: Request, caller: PlatformDep, app: CoreDep
) -> Response:
    return await _set_active(request, app, caller, external_id, active=True)


@router.post("/shops/{external_id}/login-links", status_code=201, response_model=LoginLinkOut)
async def login_link(
    external_id: ExternalId, request: Request, caller: PlatformDep, app: CoreDep
) -> Response:
    """A single-use link into the shop's web inbox, valid for about a minute."""

    def work(session: Session) -> LoginLinkOut:
        shop = _known(session, external_id)
        if not shop.active:
            raise Refusal(409, texts.SHOP_INACTIVE)
        token, expires = shops.issue_link(session, shop, now=app.ctx.clock.now())
        return LoginLinkOut(url=login_url(app, token), expires_at=expires)

    return await _platform_post(request, app, caller, work, status_code=201)


def login_url(app: Core, token: str) -> str:
    return login_url_for(app.ctx.public_url, token)


def login_url_for(public_url: str, token: str) -> str:
    """The token travels in the fragment: browsers never send it, so it is in no server log,
    Referer or proxy; the login page posts it and replaces its own history entry."""
    return f"{public_url.rstrip('/')}/panel/login#link={token}"
