"""Request bodies by content type: JSON, multipart (with files) or a UTF-8 form, else 415."""

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from adapters.panel.guards import BodyTooLarge
from adapters.panel.refusals import Refusal
from bot import texts
from bot.config import AttachmentsConfig
from bot.errors import ValidationFailed
from bot.events import InboundFile

Model = TypeVar("Model", bound=BaseModel)
JSON_TYPE, MULTIPART_TYPE, FORM_TYPE = (
    "application/json",
    "multipart/form-data",
    "application/x-www-form-urlencoded",
)
LIST_FIELDS = frozenset({"uploads"})


@dataclass(frozen=True)
class Body:
    """A parsed request body: the validated fields, the files, and a fingerprint of both that
    stays the same when a client resends the same request (another multipart boundary, other
    JSON spacing), for idempotency keys."""

    fields: BaseModel
    files: list[InboundFile] = field(default_factory=list)
    fingerprint: str = ""


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def read_capped(request: Request, limit: int) -> bytes:
    """The body, refused past `limit` bytes: the refusal of BodyLimits (guards.py), which holds
    every body that is not multipart to this same limit before a route reads it."""
    chunks, seen = [], 0
    async for chunk in request.stream():
        seen += len(chunk)
        if seen > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)


async def read_form(request: Request, *, max_files: int, max_fields: int) -> FormData:
    """The multipart form; one its parser cannot read is a 400 (the framework's own refusals,
    such as too many files, pass as they are)."""
    try:
        return await request.form(max_files=max_files, max_fields=max_fields)
    except StarletteHTTPException:
        raise
    except Exception:  # the multipart parser's own errors: a malformed body
        raise Refusal(400, texts.HTTP_ERRORS[400]) from None


async def read_upload(upload: UploadFile, limits: AttachmentsConfig) -> InboundFile:
    """The file, read to at most the size limit plus one byte, so an oversized one is refused
    (bot/uploads.py) without being held whole in memory."""
    data = await upload.read(limits.max_bytes + 1)
    return InboundFile(upload.filename or "plik", upload.content_type or "", data)


def _validated(model: type[Model], data: Any) -> Model:
    if not isinstance(data, dict):
        raise RequestValidationError([{"type": "model_type", "loc": ("body",), "msg": ""}])
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise RequestValidationError(error.errors()) from None


def _fingerprint(request: Request, fields: BaseModel, files: list[InboundFile]) -> str:
    canonical = {
        "method": request.method,
        "path": request.url.path,
        "fields": fields.model_dump(mode="json"),
        "files": [[f.filename, f.content_type, hashlib.sha256(f.data).hexdigest()] for f in files],
    }
    encoded = json.dumps(canonical, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(encoded).hexdigest()


async def _files(uploads: list[UploadFile], limits: AttachmentsConfig) -> list[InboundFile]:
    if len(uploads) > limits.max_files:
        raise ValidationFailed("files", f"Można dodać najwyżej {limits.max_files} plików.")
    return [await read_upload(upload, limits) for upload in uploads]


def _form_fields(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, value in pairs:
        if name in LIST_FIELDS:
            data.setdefault(name, []).append(value)
        elif name != "files":
            data[name] = value
    return data


async def parse_body(
    request: Request,
    model: type[Model],
    *,
    limits: AttachmentsConfig | None = None,
) -> Body:
    """The request's body as `model`; with `limits`, multipart may carry files."""
    kind = media_type(request)
    files: list[InboundFile] = []
    # JSON and plain forms carry text only (files come by multipart or upload tokens).
    text_limit = request.app.state.core.config.panel.max_json_bytes
    if kind == JSON_TYPE:
        raw = await read_capped(request, text_limit)
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise Refusal(400, texts.HTTP_ERRORS[400]) from None
    elif kind == FORM_TYPE:
        raw = await read_capped(request, text_limit)
        try:
            data = _form_fields(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        except (UnicodeDecodeError, ValueError):
            raise Refusal(400, texts.HTTP_ERRORS[400]) from None
    elif kind == MULTIPART_TYPE:
        max_files = limits.max_files + 1 if limits else 0
        form = await read_form(request, max_files=max_files, max_fields=50)
        pairs = list(form.multi_items())
        data = _form_fields([(k, v) for k, v in pairs if isinstance(v, str)])
        uploads = [v for k, v in pairs if k == "files" and not isinstance(v, str)]
        if limits is not None:
            files = await _files(uploads, limits)
    else:
        raise Refusal(415, texts.HTTP_ERRORS[415])
    fields = _validated(model, data)
    return Body(fields=fields, files=files, fingerprint=_fingerprint(request, fields, files))


def no_body_fingerprint(request: Request) -> str:
    """The fingerprint of a POST that carries nothing but its path (e.g. a read mark)."""
    canonical = json.dumps({"method": request.method, "path": request.url.path})
    return hashlib.sha256(canonical.encode()).hexdigest()
