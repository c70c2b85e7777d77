"""JSON shapes of the panel API (published in /openapi.json)."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot import texts
from bot.config import AttachmentsConfig
from bot.lifecycle import Status
from bot.validation import (
    BODY_MAX_CHARS,
    COMMENT_MAX_CHARS,
    SCORE_MAX,
    SCORE_MIN,
    TITLE_MAX_CHARS,
    TITLE_MAX_WORDS,
    URL_MAX_CHARS,
)
from bot.views import Conversation, ShopMessage, ShopRating, ShopTicket, ShopTickets


class AttachmentOut(BaseModel):
    id: int
    filename: str
    content_type: str
    size: int
    url: str


class MessageOut(BaseModel):
    id: int
    author: str
    author_name: str
    body: str
    # An agent's formatting as sanitised HTML (paragraphs, bold, italic, lists, links, code);
    # null when the message is plain text (`body` always holds the plain text).
    body_html: str | None = None
    created_at: datetime
    edited_at: datetime | None
    kind: str | None = None
    suggestions: list[dict[str, Any]] = []
    attachments: list[AttachmentOut] = []


class TicketOut(BaseModel):
    id: int
    title: str
    status: str
    status_label: str
    priority: str
    department: str
    department_label: str
    unread: bool
    order_url: str | None
    created_at: datetime
    last_activity_at: datetime
    resolved_at: datetime | None


class RatingOut(BaseModel):
    score: int = Field(description=f"{SCORE_MIN} (very bad) to {SCORE_MAX} (very good).")
    comment: str | None
    created_at: datetime
    updated_at: datetime = Field(description="When the shop last changed it.")


class TicketDetail(TicketOut):
    body: str
    messages: list[MessageOut]
    rating: RatingOut | None = Field(
        default=None,
        description="The shop's satisfaction rating, once it rated the resolved ticket.",
    )


class TicketList(BaseModel):
    tickets: list[TicketOut]
    unread: int
    has_more: bool = Field(default=False, description="More tickets follow: fetch `next`.")
    next: str | None = Field(default=None, description="The next page's URL (same filters).")


class UnreadOut(BaseModel):
    unread: int


# -- what the API accepts: the limits published here are the ones bot/validation.py enforces --

MAX_FILES = AttachmentsConfig().max_files
UPLOAD_TOKEN_CHARS = 64
TITLE: Any = Field(
    description=f"2–3 words on what the ticket is about (at most {TITLE_MAX_WORDS} words).",
    json_schema_extra={
        "minLength": 1,
        "maxLength": TITLE_MAX_CHARS,
        "pattern": rf"^\s*\S+(\s+\S+){{0,{TITLE_MAX_WORDS - 1}}}\s*$",
    },
)
BODY: Any = Field(
    description="The problem or question.",
    json_schema_extra={"minLength": 1, "maxLength": BODY_MAX_CHARS, "pattern": r"\S"},
)
ORDER_URL: Any = Field(
    default=None,
    description="A link to the order concerned (http or https).",
    json_schema_extra={"maxLength": URL_MAX_CHARS, "pattern": r"^https?://"},
)
UPLOADS: Any = Field(
    default=[],
    description="Tokens from `POST /api/v1/uploads`, attached to this message.",
    json_schema_extra={
        "maxItems": MAX_FILES,
        "items": {"type": "string", "minLength": 1, "maxLength": UPLOAD_TOKEN_CHARS},
    },
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TicketIn(Strict):
    title: str = TITLE
    body: str = BODY
    order_url: str | None = ORDER_URL
    uploads: list[str] = UPLOADS


class MessageIn(Strict):
    body: str = BODY
    uploads: list[str] = UPLOADS


FILE_ITEM = {"type": "string", "format": "binary"}
FILES_FIELD = {
    "type": "array",
    "maxItems": MAX_FILES,
    "items": FILE_ITEM,
    "description": "Screenshots or PDFs (checked by their content, not their name).",
}


def form_schema(model: type[BaseModel], *, files: bool) -> dict[str, Any]:
    """The model's JSON schema (flat: no references); as multipart it adds the files."""
    schema = model.model_json_schema()
    schema.pop("title", None)
    if files:
        schema["properties"]["files"] = FILES_FIELD
    return schema


def request_body(model: type[BaseModel], *, files: bool = True) -> dict[str, Any]:
    """`openapi_extra` for an endpoint taking JSON, multipart (with files) or a plain form."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": form_schema(model, files=False)},
                "multipart/form-data": {"schema": form_schema(model, files=files)},
                "application/x-www-form-urlencoded": {"schema": form_schema(model, files=False)},
            },
        }
    }


class FeedbackIn(Strict):
    helped: bool


class RatingIn(Strict):
    score: int = Field(json_schema_extra={"minimum": SCORE_MIN, "maximum": SCORE_MAX})
    comment: str | None = Field(
        default=None,
        description="Optional, in the shop's words.",
        json_schema_extra={"maxLength": COMMENT_MAX_CHARS},
    )

    @field_validator("score", mode="before")
    @classmethod
    def _not_a_bool(cls, value: Any) -> Any:
        # pydantic would read `true` as 1: a rating is a number, never a yes.
        if isinstance(value, bool):
            raise ValueError("not a number")
        return value


class ErrorItem(BaseModel):
    field: str
    message: str


class ErrorOut(BaseModel):
    detail: str
    errors: list[ErrorItem] = []


def _error(description: str, **headers: str) -> dict[str, Any]:
    documented = {
        name: {"schema": {"type": "string"}, "description": text} for name, text in headers.items()
    }
    return {"model": ErrorOut, "description": description, "headers": documented}


# Every refusal the API gives, each as the Polish error envelope.
ERRORS: dict[int | str, dict[str, Any]] = {
    400: _error("Unreadable body, bad Idempotency-Key, or no Pomoc-Shop with the platform key"),
    401: _error("No valid token or session", **{"WWW-Authenticate": "Bearer"}),
    403: _error("A browser session without its CSRF token, or a shop token on a platform call"),
    404: _error("No such ticket, attachment or shop (another shop's look the same)"),
    409: _error(
        "The ticket's state does not allow it, or a request with this Idempotency-Key is "
        "still running",
        **{"Retry-After": "Seconds to wait, when it is worth waiting"},
    ),
    413: _error("The body is over the size limit"),
    415: _error("Not JSON, multipart/form-data or a UTF-8 form"),
    422: _error(
        "A field is missing or invalid (named in `errors`), or the Idempotency-Key was "
        "used with another request"
    ),
    429: _error("Too many requests from this shop", **{"Retry-After": "Seconds until allowed"}),
}
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Unchanged since the ETag given in If-None-Match"}
}


def status_label(ticket: ShopTicket) -> str:
    """An open ticket whose thread is not in the agents' chat yet waits for support."""
    if ticket.status == Status.OPEN and not ticket.in_chat:
        return texts.WAITING_FOR_SUPPORT
    return texts.STATUS_LABELS.get(ticket.status, ticket.status)


def ticket_out(ticket: ShopTicket) -> TicketOut:
    return TicketOut(
        id=ticket.id,
        title=ticket.title,
        status=ticket.status,
        status_label=status_label(ticket),
        priority=ticket.priority,
        department=ticket.department,
        department_label=texts.DEPARTMENT_LABELS.get(ticket.department, ticket.department),
        unread=ticket.unread,
        order_url=ticket.order_url,
        created_at=ticket.created_at,
        last_activity_at=ticket.last_activity_at,
        resolved_at=ticket.resolved_at,
    )


def message_out(message: ShopMessage) -> MessageOut:
    return MessageOut(
        id=message.id,
        author=message.author,
        author_name=message.author_name,
        body=message.body,
        body_html=message.body_html,
        created_at=message.created_at,
        edited_at=message.edited_at,
        kind=message.kind,
        suggestions=list(message.suggestions),
        attachments=[
            AttachmentOut(
                id=a.id,
                filename=a.filename,
                content_type=a.content_type,
                size=a.size,
                url=f"/api/v1/tickets/{a.ticket_id}/attachments/{a.id}",
            )
            for a in message.attachments
        ],
    )


def rating_out(rating: ShopRating) -> RatingOut:
    return RatingOut(
        score=rating.score,
        comment=rating.comment,
        created_at=rating.created_at,
        updated_at=rating.updated_at,
    )


def detail_out(conversation: Conversation) -> TicketDetail:
    rating = conversation.rating
    return TicketDetail(
        **ticket_out(conversation.ticket).model_dump(),
        body=conversation.body,
        messages=[message_out(m) for m in conversation.messages],
        rating=rating_out(rating) if rating is not None else None,
    )


def list_out(listed: ShopTickets) -> TicketList:
    return TicketList(tickets=[ticket_out(t) for t in listed.tickets], unread=listed.unread)
