"""Files uploaded ahead of a ticket or message: `POST /api/v1/uploads` -> a token that expires,
then `"uploads": [token, ...]` in the JSON body (as Zendesk's upload tokens work)."""

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel
from sqlmodel import Session
from starlette.datastructures import UploadFile

from adapters.panel.auth import CoreDep, current_shop, documented_auth, principal
from adapters.panel.bodies import MULTIPART_TYPE, media_type, read_form, read_upload
from adapters.panel.idempotency import idempotent
from adapters.panel.refusals import Refusal
from adapters.panel.schemas import ERRORS, FILE_ITEM
from bot import texts
from bot.core import Core
from bot.errors import ValidationFailed
from bot.events import InboundFile
from bot.housekeeping import delete_unused_files
from bot.uploads import CheckedFile, check_files
from storage import platform as platform_repo
from storage import repositories as repo
from storage.models import Shop, Upload

TTL = timedelta(hours=1)
router = APIRouter(
    prefix="/api/v1", tags=["uploads"], responses=ERRORS, dependencies=[Depends(documented_auth)]
)


class UploadOut(BaseModel):
    token: str
    filename: str
    content_type: str
    size: int
    expires_at: datetime


BODY = {
    "requestBody": {
        "required": True,
        "content": {
            MULTIPART_TYPE: {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {**FILE_ITEM, "description": "One file."}},
                }
            }
        },
    }
}


async def _one_file(request: Request, app: Core) -> InboundFile:
    if media_type(request) != MULTIPART_TYPE:
        raise Refusal(415, texts.HTTP_ERRORS[415])
    form = await read_form(request, max_files=1, max_fields=5)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise ValidationFailed(
            "files", texts.FIELD_REQUIRED.format(field=texts.FIELD_NAMES["files"])
        )
    return await read_upload(upload, app.config.attachments)


def _store(app: Core, shop: Shop, item: CheckedFile) -> UploadOut:
    now = app.ctx.clock.now()
    token = secrets.token_urlsafe(32)
    key, digest = app.ctx.files.save(item.data)
    with app.db.transaction() as session:
        expired = _forget_expired(session, now)
        row = Upload(
            token_hash=repo.hash_token(token),
            shop_id=repo.row_id(shop),
            filename=item.filename,
            content_type=item.content_type,
            size=len(item.data),
            sha256=digest,
            storage_key=key,
            created_at=now,
            expires_at=now + TTL,
        )
        session.add(row)
    # Checked after the commit, so the new row keeps its bytes should an expired one share them.
    delete_unused_files(app.ctx, expired)
    return UploadOut(
        token=token,
        filename=row.filename,
        content_type=row.content_type,
        size=row.size,
        expires_at=row.expires_at,
    )


def _forget_expired(session: Session, now: datetime) -> set[str]:
    """Forget a few expired uploads; returns their storage keys, whose bytes go after the
    commit unless something else uses them."""
    rows = platform_repo.expired_uploads(session, now, limit=20)
    for row in rows:
        session.delete(row)
    return {row.storage_key for row in rows}


@router.post("/uploads", status_code=201, response_model=UploadOut, openapi_extra=BODY)
async def upload(
    request: Request, shop: Annotated[Shop, Depends(current_shop)], app: CoreDep
) -> Response:
    """Upload one file (a screenshot or PDF); the token attaches it to a ticket or message
    created within the hour."""
    item = await _one_file(request, app)
    (checked,) = check_files([item], app.config.attachments)
    fingerprint = hashlib.sha256(
        f"upload|{checked.filename}|{hashlib.sha256(checked.data).hexdigest()}".encode()
    ).hexdigest()

    async def store() -> UploadOut:
        return await run_in_threadpool(_store, app, shop, checked)

    return await idempotent(
        request,
        app,
        principal=principal(request),
        fingerprint=fingerprint,
        action=store,
        status_code=201,
    )


def uploaded_files(app: Core, shop: Shop, tokens: list[str]) -> list[InboundFile]:
    """The files behind the shop's upload tokens, or a 422 naming `uploads`."""
    tokens = list(dict.fromkeys(tokens))
    if not tokens:
        return []
    now = app.ctx.clock.now()
    with app.db.transaction() as session:
        rows = platform_repo.shop_uploads(session, repo.row_id(shop), tokens, now)
    if len(rows) != len(tokens):
        raise ValidationFailed("uploads", texts.UPLOAD_UNKNOWN)
    files = []
    for row in rows:
        try:
            data = app.ctx.files.path(row.storage_key).read_bytes()
        except FileNotFoundError:
            raise ValidationFailed("uploads", texts.UPLOAD_UNKNOWN) from None
        files.append(InboundFile(row.filename, row.content_type, data))
    return files
