"""The ASGI application: panel API, health check and the Polish error envelope."""

from collections.abc import Iterable

from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.panel import api
from adapters.panel.auth import TokenCache
from bot import texts
from bot.core import Core
from bot.errors import InvalidTransition, NotFound, RateLimited, ValidationFailed


def _error(status: int, detail: str, errors: list[dict[str, str]] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail, "errors": errors or []}, status_code=status)


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
    return _error(422, errors[0]["message"] if errors else texts.FIELD_INVALID, errors)


async def _validation_failed(_request: Request, exc: ValidationFailed) -> JSONResponse:
    return _error(422, exc.message, [{"field": exc.field, "message": exc.message}])


async def _not_found(_request: Request, _exc: NotFound) -> JSONResponse:
    return _error(404, texts.NOT_FOUND)


async def _wrong_state(_request: Request, _exc: InvalidTransition) -> JSONResponse:
    return _error(409, texts.WRONG_STATE)


async def _rate_limited(_request: Request, _exc: RateLimited) -> JSONResponse:
    response = _error(429, texts.RATE_LIMITED)
    response.headers["Retry-After"] = "60"
    return response


async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
    # Pomoc's own 400/404/405 come from its exceptions (handled above): these are the framework's.
    detail = texts.HTTP_ERRORS.get(exc.status_code) or str(exc.detail)
    response = _error(exc.status_code, detail)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


class BodyLimit:
    """Refuse a request body over the limit before anything parses it (413, in Polish)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            mb = self.max_bytes // (1024 * 1024)
            await _error(413, texts.TOO_LARGE.format(mb=mb))(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise StarletteHTTPException(413, texts.TOO_LARGE.format(mb=self.max_bytes >> 20))
            return message

        await self.app(scope, counted, send)


def create_app(core: Core, *, routers: Iterable[APIRouter] = ()) -> FastAPI:
    app = FastAPI(
        title="Pomoc",
        version="1.0.0",
        description="Shop panel API of Pomoc: support tickets bridged to Slack and Matrix.",
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
    app.add_middleware(BodyLimit, max_bytes=core.config.panel.max_request_bytes)
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
