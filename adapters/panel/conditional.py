"""Conditional GETs: an `ETag` on every answer, 304 when the client's `If-None-Match` matches."""

import hashlib

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

# The answer is the shop's own data: caches may keep it only for that client, and must ask.
CACHE_CONTROL = "private, no-cache"


def _matches(header: str, etag: str) -> bool:
    if header.strip() == "*":
        return True
    # Weak comparison (RFC 9110 13.1.2): a W/ prefix does not matter for If-None-Match.
    candidates = (tag.strip().removeprefix("W/") for tag in header.split(","))
    return etag in candidates


def conditional(
    request: Request, model: BaseModel, *, headers: dict[str, str] | None = None
) -> Response:
    body = JSONResponse(model.model_dump(mode="json")).body
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    extra = {"ETag": etag, "Cache-Control": CACHE_CONTROL, **(headers or {})}
    if _matches(request.headers.get("if-none-match", ""), etag):
        return Response(status_code=304, headers=extra)
    return Response(bytes(body), media_type="application/json", headers=extra)
