"""The versioned JSON API the shop panel calls: tickets, messages, read marks, feedback, ratings."""

import base64
import binascii
import json
from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, Response

from adapters.panel import platform, uploads
from adapters.panel.auth import CoreDep, current_shop, documented_auth, principal
from adapters.panel.bodies import no_body_fingerprint, parse_body
from adapters.panel.conditional import conditional
from adapters.panel.idempotency import idempotent, json_answer
from adapters.panel.ratelimit import ShopLimits
from adapters.panel.schemas import (
    ERRORS,
    NOT_MODIFIED,
    FeedbackIn,
    MessageIn,
    MessageOut,
    RatingIn,
    RatingOut,
    TicketDetail,
    TicketIn,
    TicketList,
    TicketOut,
    UnreadOut,
    detail_out,
    list_out,
    rating_out,
    request_body,
    ticket_out,
)
from bot import texts
from bot.config import AttachmentsConfig
from bot.errors import ValidationFailed
from bot.lifecycle import Status
from storage import repositories as repo
from storage.models import Shop

# Ids are 32-bit INTEGER columns: a larger number must be refused here, not overflow the driver.
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]
# The statuses a shop sees (purged tickets are gone).
ShopStatus = Literal["new", "suggested", "queued", "open", "waiting", "resolved"]


def limits(request: Request) -> ShopLimits:
    shop_limits: ShopLimits = request.app.state.limits
    return shop_limits


async def reading_shop(request: Request, shop: Annotated[Shop, Depends(current_shop)]) -> Shop:
    """The shop, counted against its reads per minute."""
    limits(request).reads.check(str(shop.id), kind="reads")
    return shop


async def writing_shop(request: Request, shop: Annotated[Shop, Depends(current_shop)]) -> Shop:
    """The shop, counted against its follow-ups per minute."""
    limits(request).messages.check(str(shop.id), kind="messages")
    return shop


ShopDep = Annotated[Shop, Depends(current_shop)]
ReadingShop = Annotated[Shop, Depends(reading_shop)]
tickets_router = APIRouter(
    prefix="/api/v1", tags=["tickets"], responses=ERRORS, dependencies=[Depends(documented_auth)]
)


@tickets_router.post(
    "/tickets", status_code=201, response_model=TicketDetail, openapi_extra=request_body(TicketIn)
)
async def create_ticket(request: Request, shop: ShopDep, app: CoreDep) -> Response:
    """Open a ticket; it is triaged at once (suggestions, priority, department). JSON (files
    as `uploads` tokens), multipart (files in `files`, or tokens) or a UTF-8 form."""
    body = await parse_body(request, TicketIn, limits=app.config.attachments)
    fields = body.fields
    assert isinstance(fields, TicketIn)

    async def open_ticket() -> TicketDetail:
        files = body.files + await run_in_threadpool(
            uploads.uploaded_files, app, shop, fields.uploads
        )
        conversation = await run_in_threadpool(
            app.tickets.open_ticket,
            shop=shop,
            title=fields.title,
            body=fields.body,
            order_url=fields.order_url,
            files=files,
        )
        return detail_out(conversation)

    return await idempotent(
        request,
        app,
        principal=principal(request),
        fingerprint=body.fingerprint,
        action=open_ticket,
        status_code=201,
    )


def _cursor(value: str | None) -> tuple[datetime, int] | None:
    if not value:
        return None
    try:
        activity, ticket_id = json.loads(base64.urlsafe_b64decode(value.encode() + b"=="))
        after = datetime.fromisoformat(activity), int(ticket_id)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed("cursor", texts.CURSOR_INVALID) from None
    if after[0].tzinfo is None or not 1 <= after[1] <= 2**31 - 1:
        raise ValidationFailed("cursor", texts.CURSOR_INVALID)
    return after


def _next_cursor(ticket: TicketOut) -> str:
    encoded = json.dumps([ticket.last_activity_at.isoformat(), ticket.id]).encode()
    return base64.urlsafe_b64encode(encoded).rstrip(b"=").decode()


@tickets_router.get("/tickets", response_model=TicketList, responses=NOT_MODIFIED)
async def list_tickets(
    request: Request,
    shop: ReadingShop,
    app: CoreDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200, description="From `next`.")] = None,
    status: ShopStatus | None = None,
    updated_since: Annotated[
        datetime | None, Query(description="Only tickets changed at or after (ISO 8601 with zone).")
    ] = None,
) -> Response:
    """The shop's tickets, most recent activity first; resolved ones stay until purged. To
    sync, remember when you started, page through `next`, then ask `updated_since` that time."""
    if updated_since is not None and updated_since.tzinfo is None:
        raise ValidationFailed("updated_since", texts.FIELD_INVALID.format(field="Zmienione od"))
    listed = list_out(
        await run_in_threadpool(
            app.inbox.tickets,
            repo.row_id(shop),
            limit=limit + 1,
            after=_cursor(cursor),
            status=Status(status) if status else None,
            updated_since=updated_since,
        )
    )
    page = listed.tickets[:limit]
    listed.has_more = len(listed.tickets) > limit
    listed.tickets = page
    headers = {}
    if listed.has_more:
        query = dict(request.query_params) | {"cursor": _next_cursor(page[-1]), "limit": limit}
        listed.next = f"{request.url.path}?{urlencode(query)}"
        headers["Link"] = f'<{listed.next}>; rel="next"'
    return conditional(request, listed, headers=headers)


@tickets_router.get("/tickets/{ticket_id}", response_model=TicketDetail, responses=NOT_MODIFIED)
async def get_ticket(
    request: Request, ticket_id: RowId, shop: ReadingShop, app: CoreDep
) -> Response:
    """One ticket with its conversation."""
    conversation = await run_in_threadpool(app.inbox.conversation, repo.row_id(shop), ticket_id)
    return conditional(request, detail_out(conversation))


@tickets_router.post(
    "/tickets/{ticket_id}/messages",
    status_code=201,
    response_model=MessageOut,
    openapi_extra=request_body(MessageIn),
)
async def add_message(
    request: Request,
    ticket_id: RowId,
    shop: Annotated[Shop, Depends(writing_shop)],
    app: CoreDep,
) -> Response:
    """A follow-up from the shop: it lands in the ticket's chat thread."""
    body = await parse_body(request, MessageIn, limits=app.config.attachments)
    fields = body.fields
    assert isinstance(fields, MessageIn)

    async def post() -> MessageOut:
        files = body.files + await run_in_threadpool(
            uploads.uploaded_files, app, shop, fields.uploads
        )
        posted = await run_in_threadpool(
            app.tickets.add_shop_message,
            shop=shop,
            ticket_id=ticket_id,
            body=fields.body,
            files=files,
        )
        return detail_out(posted).messages[0]

    return await idempotent(
        request,
        app,
        principal=principal(request),
        fingerprint=body.fingerprint,
        action=post,
        status_code=201,
    )


@tickets_router.post("/tickets/{ticket_id}/read", response_model=UnreadOut)
async def mark_read(
    request: Request, ticket_id: RowId, shop: ReadingShop, app: CoreDep
) -> Response:
    """The owner opened the ticket: it stops being orange."""

    async def read() -> UnreadOut:
        unread = await run_in_threadpool(app.inbox.mark_read, repo.row_id(shop), ticket_id)
        return UnreadOut(unread=unread)

    fingerprint = no_body_fingerprint(request)
    return await idempotent(
        request, app, principal=principal(request), fingerprint=fingerprint, action=read
    )


@tickets_router.post(
    "/tickets/{ticket_id}/feedback",
    response_model=TicketOut,
    openapi_extra=request_body(FeedbackIn, files=False),
)
async def feedback(request: Request, ticket_id: RowId, shop: ShopDep, app: CoreDep) -> Response:
    """ "Pomogło" closes the ticket as deflected; "Nie pomogło" passes it to an agent."""
    body = await parse_body(request, FeedbackIn)
    answer = body.fields
    assert isinstance(answer, FeedbackIn)

    async def give() -> TicketOut:
        ticket = await run_in_threadpool(
            app.tickets.feedback, shop=shop, ticket_id=ticket_id, helped=answer.helped
        )
        return ticket_out(ticket)

    return await idempotent(
        request, app, principal=principal(request), fingerprint=body.fingerprint, action=give
    )


@tickets_router.post(
    "/tickets/{ticket_id}/rating",
    status_code=201,
    response_model=RatingOut,
    responses={200: {"model": RatingOut, "description": "The rating changed (or was the same)."}},
    openapi_extra=request_body(RatingIn, files=False),
)
async def rate(
    request: Request,
    ticket_id: RowId,
    shop: Annotated[Shop, Depends(writing_shop)],
    app: CoreDep,
) -> Response:
    """The shop's satisfaction with a resolved ticket (1–5, an optional comment): 201 for the
    first rating; rating again replaces it, 200. It shows in the agents' thread (so it counts
    as a follow-up against the limit per minute) and, with webhooks, as `ticket.rated`."""
    body = await parse_body(request, RatingIn)
    given = body.fields
    assert isinstance(given, RatingIn)

    async def give() -> JSONResponse:
        rated = await run_in_threadpool(
            app.ratings.rate,
            shop=shop,
            ticket_id=ticket_id,
            score=given.score,
            comment=given.comment,
        )
        return json_answer(rating_out(rated.rating), 201 if rated.first else 200)

    return await idempotent(
        request, app, principal=principal(request), fingerprint=body.fingerprint, action=give
    )


@tickets_router.get("/unread", response_model=UnreadOut, responses=NOT_MODIFIED)
async def unread(request: Request, shop: ReadingShop, app: CoreDep) -> Response:
    """The number behind the "!" beside POMOC (send If-None-Match to poll cheaply)."""
    count = await run_in_threadpool(app.inbox.unread, repo.row_id(shop))
    return conditional(request, UnreadOut(unread=count))


@tickets_router.get(
    "/tickets/{ticket_id}/attachments/{attachment_id}",
    response_class=FileResponse,
    responses={200: {"content": {kind: {} for kind in AttachmentsConfig().allowed_types}}},
)
async def attachment(
    ticket_id: RowId, attachment_id: RowId, shop: ReadingShop, app: CoreDep
) -> FileResponse:
    item = await run_in_threadpool(
        app.inbox.attachment, repo.row_id(shop), ticket_id, attachment_id
    )
    disposition = "inline" if item.content_type.startswith("image/") else "attachment"
    return FileResponse(
        item.path,
        media_type=item.content_type,
        filename=item.filename,
        content_disposition_type=disposition,
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"},
    )


router = APIRouter()
router.include_router(tickets_router)
router.include_router(uploads.router)
router.include_router(platform.router)
