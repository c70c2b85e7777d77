"""The versioned JSON API the shop panel calls: tickets, messages, read marks, feedback."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, Query, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse

from adapters.panel.auth import core, current_shop
from adapters.panel.schemas import (
    ErrorOut,
    FeedbackIn,
    MessageOut,
    TicketDetail,
    TicketList,
    TicketOut,
    UnreadOut,
    detail_out,
    list_out,
    ticket_out,
)
from bot.core import Core
from bot.errors import ValidationFailed
from bot.events import InboundFile
from storage import repositories as repo
from storage.models import Shop

ShopDep = Annotated[Shop, Depends(current_shop)]
# Ids are 32-bit INTEGER columns: a larger number must be refused here, not overflow the driver.
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]
CoreDep = Annotated[Core, Depends(core)]
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut},
    404: {"model": ErrorOut},
    413: {"model": ErrorOut},
    422: {"model": ErrorOut},
}

router = APIRouter(prefix="/api/v1", tags=["tickets"], responses=ERRORS)


async def read_uploads(app: Core, uploads: list[UploadFile]) -> list[InboundFile]:
    """Read at most the size limit plus one byte of each file, so an oversized one is refused
    without being held whole in memory."""
    limits = app.config.attachments
    if len(uploads) > limits.max_files:
        raise ValidationFailed("files", f"Można dodać najwyżej {limits.max_files} plików.")
    limit = limits.max_bytes
    files = []
    for upload in uploads:
        data = await upload.read(limit + 1)
        files.append(
            InboundFile(
                filename=upload.filename or "plik",
                content_type=upload.content_type or "",
                data=data,
            )
        )
    return files


@router.post("/tickets", status_code=201, response_model=TicketDetail)
async def create_ticket(
    shop: ShopDep,
    app: CoreDep,
    title: Annotated[str, Form(max_length=2000)],
    body: Annotated[str, Form(max_length=40_000)],
    order_url: Annotated[str | None, Form(max_length=4000)] = None,
    files: Annotated[list[UploadFile], File()] = [],  # noqa: B006 (FastAPI copies defaults)
) -> TicketDetail:
    """Open a ticket; it is triaged at once (suggestions, priority, department)."""
    uploads = await read_uploads(app, list(files))
    conversation = await run_in_threadpool(
        app.tickets.open_ticket,
        shop=shop,
        title=title,
        body=body,
        order_url=order_url,
        files=uploads,
    )
    return detail_out(conversation)


@router.get("/tickets", response_model=TicketList)
async def list_tickets(
    shop: ShopDep,
    app: CoreDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> TicketList:
    """The shop's tickets, most recent activity first; resolved ones stay until purged."""
    shop_id = repo.row_id(shop)
    listed = await run_in_threadpool(app.inbox.tickets, shop_id, limit=limit, offset=offset)
    return list_out(listed)


@router.get("/tickets/{ticket_id}", response_model=TicketDetail)
async def get_ticket(ticket_id: RowId, shop: ShopDep, app: CoreDep) -> TicketDetail:
    conversation = await run_in_threadpool(app.inbox.conversation, repo.row_id(shop), ticket_id)
    return detail_out(conversation)


@router.post("/tickets/{ticket_id}/messages", status_code=201, response_model=MessageOut)
async def add_message(
    ticket_id: RowId,
    shop: ShopDep,
    app: CoreDep,
    body: Annotated[str, Form(max_length=40_000)],
    files: Annotated[list[UploadFile], File()] = [],  # noqa: B006 (FastAPI copies defaults)
) -> MessageOut:
    """A follow-up from the shop: it lands in the ticket's chat thread."""
    uploads = await read_uploads(app, list(files))
    posted = await run_in_threadpool(
        app.tickets.add_shop_message, shop=shop, ticket_id=ticket_id, body=body, files=uploads
    )
    return detail_out(posted).messages[0]


@router.post("/tickets/{ticket_id}/read", response_model=UnreadOut)
async def mark_read(ticket_id: RowId, shop: ShopDep, app: CoreDep) -> UnreadOut:
    """The owner opened the ticket: it stops being orange."""
    unread = await run_in_threadpool(app.inbox.mark_read, repo.row_id(shop), ticket_id)
    return UnreadOut(unread=unread)


@router.post("/tickets/{ticket_id}/feedback", response_model=TicketOut)
async def feedback(ticket_id: RowId, answer: FeedbackIn, shop: ShopDep, app: CoreDep) -> TicketOut:
    """ "Pomogło" closes the ticket as deflected; "Nie pomogło" passes it to an agent."""
    ticket = await run_in_threadpool(
        app.tickets.feedback, shop=shop, ticket_id=ticket_id, helped=answer.helped
    )
    return ticket_out(ticket)


@router.get("/unread", response_model=UnreadOut)
async def unread(shop: ShopDep, app: CoreDep) -> UnreadOut:
    """The number behind the "!" beside POMOC."""
    return UnreadOut(unread=await run_in_threadpool(app.inbox.unread, repo.row_id(shop)))


@router.get(
    "/tickets/{ticket_id}/attachments/{attachment_id}",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
async def attachment(
    ticket_id: RowId, attachment_id: RowId, shop: ShopDep, app: CoreDep
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
