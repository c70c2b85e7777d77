"""`Idempotency-Key` on POSTs: the same key and request answer the first response again, for
24 hours and on every instance; the same key with another request is refused."""

# A key's record moves pending -> applied -> done. "applied" is written by the transaction that
# makes the request's change (a `before_commit` hook, enabled only while this module runs the
# request), so the change and the proof that it happened commit together: a retry after a crash
# can never do the work twice. "done" adds the answer, which a retry then gets back.

import math
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy import event, update
from sqlmodel import Session, col

from adapters.panel.refusals import Refusal
from bot import texts
from bot.core import Core
from storage import platform as platform_repo
from storage.models import IdempotencyRecord

HEADER = "idempotency-key"
REPLAYED = "Idempotent-Replayed"
KEEP = timedelta(hours=24)
# How long a request may take before a retry with its key may run it afresh (it died).
LOCK = timedelta(seconds=60)
WROTE = "pomoc.idempotency.wrote"


@dataclass
class _Claim:
    record_id: int
    locked_until: datetime
    applied: bool = False


_CURRENT: ContextVar[_Claim | None] = ContextVar("pomoc_idempotency_claim", default=None)


@event.listens_for(Session, "after_flush")
def _note_write(session: Session, _context: object) -> None:
    if _CURRENT.get() is not None:
        session.info[WROTE] = True


@event.listens_for(Session, "before_commit")
def _mark_applied(session: Session) -> None:
    """In the request's writing transaction: record that the change is made, or fail it if
    another request has taken the key over meanwhile."""
    claim = _CURRENT.get()
    if claim is None or claim.applied:
        return
    session.flush()
    if not session.info.pop(WROTE, False):
        return
    marked = session.execute(
        update(IdempotencyRecord)
        .where(
            col(IdempotencyRecord.id) == claim.record_id,
            col(IdempotencyRecord.state) == "pending",
            col(IdempotencyRecord.locked_until) == claim.locked_until,
        )
        .values(state="applied")
    )
    if marked.rowcount != 1:  # type: ignore[attr-defined]
        raise Refusal(409, texts.IDEMPOTENCY_IN_PROGRESS)
    claim.applied = True


def _key(request: Request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not 1 <= len(key) <= 255 or not key.isascii() or not key.isprintable():
        raise Refusal(400, texts.IDEMPOTENCY_KEY_INVALID)
    return key


def _conflict(message: str, *, retry_after: float | None = None) -> Refusal:
    headers = {"Retry-After": str(max(1, math.ceil(retry_after)))} if retry_after else None
    return Refusal(409, message, headers=headers)


def _claim(app: Core, principal: str, key: str, fingerprint: str) -> _Claim | Response:
    """Take the key for this request, or say what a retry gets instead."""
    now = app.ctx.clock.now()
    locked_until = now + LOCK
    fresh = IdempotencyRecord(
        principal=principal,
        key=key,
        request_hash=fingerprint,
        state="pending",
        locked_until=locked_until,
        created_at=now,
        expires_at=now + KEEP,
    )
    with app.db.transaction() as session:
        platform_repo.prune_keys(session, now)
        if (claimed := platform_repo.claim_key(session, fresh)) is not None:
            return _Claim(claimed, locked_until)
        record = platform_repo.key_record(session, principal, key)
        if record is None or record.id is None:  # expired and pruned by another request
            raise _conflict(texts.IDEMPOTENCY_IN_PROGRESS, retry_after=1)
        if record.request_hash != fingerprint:
            raise Refusal(422, texts.IDEMPOTENCY_KEY_REUSED)
        if record.state == "done" and record.status_code is not None:
            replay = Response(
                record.response or "",
                status_code=record.status_code,
                media_type="application/json",
            )
            replay.headers[REPLAYED] = "true"
            return replay
        if record.locked_until > now:  # the first request is still running or answering
            wait = (record.locked_until - now).total_seconds()
            raise _conflict(texts.IDEMPOTENCY_IN_PROGRESS, retry_after=wait)
        if record.state == "applied":  # applied, then its answer was never recorded
            raise _conflict(texts.IDEMPOTENCY_ANSWER_LOST)
        taken = platform_repo.take_over_key(
            session, record.id, request_hash=fingerprint, locked_until=locked_until, created_at=now
        )
        if not taken:
            raise _conflict(texts.IDEMPOTENCY_IN_PROGRESS, retry_after=1)
        return _Claim(record.id, locked_until)


def _finish(app: Core, claim: _Claim, response: JSONResponse) -> None:
    with app.db.transaction() as session:
        platform_repo.set_key_state(
            session,
            claim.record_id,
            expect="applied" if claim.applied else "pending",
            state="done",
            status_code=response.status_code,
            response=bytes(response.body).decode(),
        )


def _release(app: Core, claim: _Claim) -> None:
    """The request failed before changing anything: a corrected retry may use the key."""
    with app.db.transaction() as session:
        if not claim.applied:
            platform_repo.drop_key(session, claim.record_id)


async def idempotent(
    request: Request,
    app: Core,
    *,
    principal: str,
    fingerprint: str,
    action: Callable[[], Awaitable[BaseModel | JSONResponse]],
    status_code: int = 200,
) -> Response:
    """Run `action` once per `Idempotency-Key` (if the request has one) and answer its result
    with `status_code`; an action whose status depends on what it did answers a `json_answer`."""
    key = _key(request)
    if key is None:
        return _answer(await action(), status_code)
    claimed = await run_in_threadpool(_claim, app, principal, key, fingerprint)
    if isinstance(claimed, Response):
        return claimed
    token = _CURRENT.set(claimed)
    try:
        result = await action()
    except BaseException:
        _CURRENT.reset(token)
        await run_in_threadpool(_release, app, claimed)
        raise
    _CURRENT.reset(token)
    response = _answer(result, status_code)
    await run_in_threadpool(_finish, app, claimed, response)
    return response


def json_answer(model: BaseModel, status_code: int) -> JSONResponse:
    return JSONResponse(model.model_dump(mode="json"), status_code=status_code)


def _answer(result: BaseModel | JSONResponse, status_code: int) -> JSONResponse:
    return result if isinstance(result, JSONResponse) else json_answer(result, status_code)
