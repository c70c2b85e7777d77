"""The versioned JSON API the shop panel calls: tickets, messages, read marks, feedback."""

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Path, Query, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse

from adapters.panel.auth import current_shop, services
from adapters.panel.schemas import (
    ErrorOut,
    FeedbackIn,
    MessageOut,
    TicketDetail,
    TicketList,
    TicketOut,
    UnreadOut,
    detail_out,
    ticket_out,
)
from adapters.panel.services import Services
from bot.errors import NotFound, ValidationFailed
from bot.events import InboundFile
from storage import repositories as repo
from storage.models import Attachment, Shop

ShopDep = Annotated[Shop, Depends(current_shop)]
# Ids are 32-bit INTEGER columns: a larger number must be refused here, not overflow the driver.
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]
ServicesDep = Annotated[Services, Depends(services)]
ERRORS = {
    401: {"model": ErrorOut},
    404: {"model": ErrorOut},
    413: {"model": ErrorOut},
    422: {"model": ErrorOut},
}

router = APIRouter(prefix="/api/v1", tags=["tickets"], responses=ERRORS)


async def read_uploads(svc: Services, uploads: list[UploadFile]) -> list[InboundFile]:
    """Read at most the size limit plus one byte of each file, so an oversized one is refused
    without being held whole in memory."""
    limit = svc.config.attachments.max_bytes
    if len(uploads) > svc.config.attachments.max_files:
        raise ValidationFailed(
            "files", f"Można dodać najwyżej {svc.config.attachments.max_files} plików."
        )
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


def ticket_detail(svc: Services, shop: Shop, ticket_id: int) -> TicketDetail:
    return detail_out(svc.tickets.conversation(shop=shop, ticket_id=ticket_id))


@router.post("/tickets", status_code=201, response_model=TicketDetail)
async def create_ticket(
    shop: ShopDep,
    svc: ServicesDep,
    title: Annotated[str, Form(max_length=2000)],
    body: Annotated[str, Form(max_length=40_000)],
    order_url: Annotated[str | None, Form(max_length=4000)] = None,
    files: Annotated[list[UploadFile], File()] = (),
) -> TicketDetail:
    """Open a ticket; it is triaged at once (suggestions, priority, department)."""
    uploads = await read_uploads(svc, list(files))
    conversation = await run_in_threadpool(
        svc.tickets.open_ticket,
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
    svc: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> TicketList:
    """The shop's tickets, most recent activity first; resolved ones stay until purged."""

    def load() -> TicketList:
        with svc.db.transaction() as session:
            tickets = repo.shop_tickets(session, shop.id, limit=limit, offset=offset)
            unread = repo.unread_count(session, shop.id)
        return TicketList(tickets=[ticket_out(t) for t in tickets], unread=unread)

    return await run_in_threadpool(load)


@router.get("/tickets/{ticket_id}", response_model=TicketDetail)
async def get_ticket(ticket_id: RowId, shop: ShopDep, svc: ServicesDep) -> TicketDetail:
    return await run_in_threadpool(ticket_detail, svc, shop, ticket_id)


@router.post("/tickets/{ticket_id}/messages", status_code=201, response_model=MessageOut)
async def add_message(
    ticket_id: RowId,
    shop: ShopDep,
    svc: ServicesDep,
    body: Annotated[str, Form(max_length=40_000)],
    files: Annotated[list[UploadFile], File()] = (),
) -> MessageOut:
    """A follow-up from the shop: it lands in the ticket's chat thread."""
    uploads = await read_uploads(svc, list(files))
    posted = await run_in_threadpool(
        svc.tickets.add_shop_message, shop=shop, ticket_id=ticket_id, body=body, files=uploads
    )
    return detail_out(posted).messages[0]


@router.post("/tickets/{ticket_id}/read", response_model=UnreadOut)
async def mark_read(ticket_id: RowId, shop: ShopDep, svc: ServicesDep) -> UnreadOut:
    """The owner opened the ticket: it stops being orange."""

    def run() -> UnreadOut:
        svc.tickets.mark_read(shop=shop, ticket_id=ticket_id)
        with svc.db.transaction() as session:
            return UnreadOut(unread=repo.unread_count(session, shop.id))

    return await run_in_threadpool(run)


@router.post("/tickets/{ticket_id}/feedback", response_model=TicketOut)
async def feedback(
    ticket_id: RowId, answer: FeedbackIn, shop: ShopDep, svc: ServicesDep
) -> TicketOut:
    """ "Pomogło" closes the ticket as deflected; "Nie pomogło" passes it to an agent."""
    ticket = await run_in_threadpool(
        svc.tickets.feedback, shop=shop, ticket_id=ticket_id, helped=answer.helped
    )
    return ticket_out(ticket)


@router.get("/unread", response_model=UnreadOut)
async def unread(shop: ShopDep, svc: ServicesDep) -> UnreadOut:
    """The number behind the "!" beside POMOC."""

    def count() -> int:
        with svc.db.transaction() as session:
            return repo.unread_count(session, shop.id)

    return UnreadOut(unread=await run_in_threadpool(count))


@router.get(
    "/tickets/{ticket_id}/attachments/{attachment_id}",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
async def attachment(
    ticket_id: RowId, attachment_id: RowId, shop: ShopDep, svc: ServicesDep
) -> FileResponse:
    def find() -> Attachment:
        with svc.db.transaction() as session:
            ticket = repo.shop_ticket(session, shop.id, ticket_id)
            item = session.get(Attachment, attachment_id)
            if ticket is None or item is None or item.ticket_id != ticket.id:
                raise NotFound(f"attachment {attachment_id}")
            return item

    item = await run_in_threadpool(find)
    disposition = "inline" if item.content_type.startswith("image/") else "attachment"
    return FileResponse(
        svc.ctx.files.path(item.storage_key),
        media_type=item.content_type,
        filename=item.filename,
        content_disposition_type=disposition,
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"},
    )
