"""The ASGI application: panel API, health check, the Polish error envelope and the guards."""

import math
from collections.abc import Iterable

from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException

from adapters.panel import api
from adapters.panel.auth import PlatformKeys, TokenCache
from adapters.panel.guards import (
    BodyLimits,
    SlackSignatureFirst,
    TrustedHost,
    error_response,
    trusted_hosts,
)
from adapters.panel.limits import FailedAuth, FailedAuthGate
from adapters.panel.ratelimit import ShopLimits
from adapters.panel.refusals import Refusal
from adapters.panel.web.live import LiveHub
from bot import texts
from bot.core import Core
from bot.errors import InvalidTransition, NotFound, RateLimited, ValidationFailed


def _field_of(location: tuple[object, ...]) -> str:
    names = [str(part) for part in location if part not in ("body", "query", "path", "form")]
    return names[0] if names else "request"


async def _request_invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = []
    for item in exc.errors():
        field = _field_of(tuple(item.get("loc", ())))
        label = texts.FIELD_NAMES.get(field, field)
        template = texts.FIELD_REQUIRED if item.get("type") == "missing" else texts.FIELD_INVALID
        errors.append({"field": field, "message": template.format(field=label)})
    return error_response(422, errors[0]["message"] if errors else texts.FIELD_INVALID, errors)


async def _validation_failed(_request: Request, exc: ValidationFailed) -> JSONResponse:
    return error_response(422, exc.message, [{"field": exc.field, "message": exc.message}])


async def _not_found(_request: Request, _exc: NotFound) -> JSONResponse:
    return error_response(404, texts.NOT_FOUND)


async def _wrong_state(_request: Request, exc: InvalidTransition) -> JSONResponse:
    return error_response(409, exc.refusal or texts.WRONG_STATE)


async def _rate_limited(_request: Request, exc: RateLimited) -> JSONResponse:
    response = error_response(429, texts.RATE_LIMITS.get(exc.kind, texts.RATE_LIMITED))
    response.headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
    return response


async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
    # Pomoc's own 400/404/405 come from its exceptions (handled above): these are the framework's.
    if isinstance(exc, Refusal):  # worded by Pomoc itself
        detail = str(exc.detail)
    else:
        detail = texts.HTTP_ERRORS.get(exc.status_code) or str(exc.detail)
    response = error_response(exc.status_code, detail)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


def create_app(core: Core, *, routers: Iterable[APIRouter] = ()) -> FastAPI:
    config, secrets = core.config, core.ctx.secrets
    docs = config.server.api_docs
    app = FastAPI(
        title="Pomoc",
        version="1.0.0",
        description="Shop panel API of Pomoc: support tickets bridged to Slack and Matrix.",
        # Their JavaScript comes from a CDN, so they are for development only.
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        # A redirect to the slashless path would be built from the request's Host header.
        redirect_slashes=False,
        exception_handlers={
            RequestValidationError: _request_invalid,
            ValidationFailed: _validation_failed,
            NotFound: _not_found,
            InvalidTransition: _wrong_state,
            RateLimited: _rate_limited,
            StarletteHTTPException: _http_error,
        },
    )
    app.state.core = core
    app.state.tokens = TokenCache()
    app.state.platform_keys = PlatformKeys()
    app.state.limits = ShopLimits.from_config(config.panel)
    app.state.live = LiveHub(
        core.db,
        per_session=config.panel.max_streams_per_session,
        per_shop=config.panel.max_streams_per_shop,
    )
    # Added innermost first: a request meets TrustedHost, BodyLimits, FailedAuthGate, then the
    # signature. (Routes read bodies after their credential dependency: adapters/panel/bodies.py.)
    if config.slack.enabled and config.slack.mode == "http" and secrets.slack_signing_secret:
        app.add_middleware(SlackSignatureFirst, signing_secret=secrets.slack_signing_secret)
    app.state.failed_auth = FailedAuth(limit=config.panel.max_failed_auth_per_minute)
    app.add_middleware(FailedAuthGate, guard=app.state.failed_auth)
    app.add_middleware(
        BodyLimits,
        max_upload=config.panel.max_request_bytes,
        max_other=config.panel.max_json_bytes,
    )
    app.add_middleware(TrustedHost, hosts=trusted_hosts(config.server))
    app.include_router(api.router)
    for router in routers:
        app.include_router(router)

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:
        """Liveness and database reachability."""

        def ping() -> None:
            with core.db.transaction() as session:
                session.connection().execute(text("SELECT 1"))

        await run_in_threadpool(ping)
        return {"status": "ok"}

    return app
