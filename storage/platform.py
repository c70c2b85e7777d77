"""Queries of the platform integration: shops by external id, sessions, links, uploads, keys."""

from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, update
from sqlmodel import Session, col, select

from storage.models import (
    IdempotencyRecord,
    LoginLink,
    Shop,
    Ticket,
    Upload,
    WebSession,
)
from storage.repositories import hash_token, insert_unless_duplicate, inserted_key

# -- shops -------------------------------------------------------------------------------------


def shop_by_external_id(session: Session, external_id: str) -> Shop | None:
    return session.exec(select(Shop).where(Shop.external_id == external_id)).one_or_none()


def shop_by_reference(session: Session, reference: str) -> list[Shop]:
    """Shops an operator may mean by `reference`: its external id, name or row id."""
    row_id = int(reference) if reference.isdigit() and len(reference) < 10 else -1
    query = select(Shop).where(
        or_(
            col(Shop.external_id) == reference,
            col(Shop.name) == reference,
            col(Shop.id) == row_id,
        )
    )
    return list(session.exec(query))


def end_sessions(session: Session, shop_id: int) -> int:
    """Log the shop out everywhere (its token was rotated, or it was deactivated)."""
    result = session.exec(delete(WebSession).where(col(WebSession.shop_id) == shop_id))
    return int(result.rowcount)


# -- web sessions ------------------------------------------------------------------------------


def session_shop(session: Session, token: str, now: datetime) -> Shop | None:
    """The active shop whose unexpired session the cookie token opens, in one query."""
    query = (
        select(Shop)
        .join(WebSession, col(WebSession.shop_id) == col(Shop.id))
        .where(
            WebSession.token_hash == hash_token(token),
            col(WebSession.expires_at) > now,
            col(Shop.active),
        )
    )
    return session.exec(query).one_or_none()


def forget_session(session: Session, token: str, *, now: datetime) -> None:
    """Delete the session (logout) and, while at it, sessions that expired."""
    session.exec(
        delete(WebSession).where(
            (col(WebSession.token_hash) == hash_token(token)) | (col(WebSession.expires_at) <= now)
        )
    )


# -- login links -------------------------------------------------------------------------------


def link_shop(session: Session, token: str, now: datetime) -> Shop | None:
    """The active shop an unused, unexpired issued link is for (without using it up)."""
    query = (
        select(Shop)
        .join(LoginLink, col(LoginLink.shop_id) == col(Shop.id))
        .where(
            LoginLink.token_hash == hash_token(token),
            col(LoginLink.used_at).is_(None),
            col(LoginLink.expires_at) > now,
            col(Shop.active),
        )
    )
    return session.exec(query).one_or_none()


def use_link(session: Session, token: str, now: datetime) -> bool:
    """Mark an issued link used; False if it was used (by any instance), expired or unknown."""
    result = session.exec(
        update(LoginLink)
        .where(
            col(LoginLink.token_hash) == hash_token(token),
            col(LoginLink.used_at).is_(None),
            col(LoginLink.expires_at) > now,
        )
        .values(used_at=now)
    )
    return int(result.rowcount) == 1


def use_nonce(
    session: Session, *, nonce_key: str, shop_id: int, expires_at: datetime, now: datetime
) -> bool:
    """Record a platform-signed link's nonce as used; False when it was used before."""
    row = LoginLink(
        token_hash=hash_token(nonce_key),
        shop_id=shop_id,
        created_at=now,
        expires_at=expires_at,
        used_at=now,
    )
    return insert_unless_duplicate(session, row)


def prune_links(session: Session, now: datetime) -> None:
    session.exec(delete(LoginLink).where(col(LoginLink.expires_at) <= now))


# -- uploads -----------------------------------------------------------------------------------


def shop_uploads(session: Session, shop_id: int, tokens: list[str], now: datetime) -> list[Upload]:
    """The shop's unexpired uploads for `tokens`, in the order given (missing ones left out)."""
    hashes = [hash_token(token) for token in tokens]
    query = select(Upload).where(
        col(Upload.token_hash).in_(hashes),
        Upload.shop_id == shop_id,
        col(Upload.expires_at) > now,
    )
    found = {row.token_hash: row for row in session.exec(query)}
    return [found[h] for h in hashes if h in found]


def expired_uploads(session: Session, now: datetime, *, limit: int) -> list[Upload]:
    query = select(Upload).where(col(Upload.expires_at) <= now).limit(limit)
    return list(session.exec(query))


# -- idempotency keys --------------------------------------------------------------------------


def claim_key(session: Session, record: IdempotencyRecord) -> int | None:
    """Insert the key's record; its id, or None when the principal used the key already."""
    record_id = inserted_key(session, record)
    return None if record_id is None else int(record_id)


def key_record(session: Session, principal: str, key: str) -> IdempotencyRecord | None:
    query = select(IdempotencyRecord).where(
        IdempotencyRecord.principal == principal, IdempotencyRecord.key == key
    )
    return session.exec(query).one_or_none()


def take_over_key(session: Session, record_id: int, *, request_hash: str, **values: Any) -> bool:
    """Take a pending record whose lock ran out (its request died before doing anything)."""
    result = session.exec(
        update(IdempotencyRecord)
        .where(
            col(IdempotencyRecord.id) == record_id,
            col(IdempotencyRecord.state) == "pending",
            col(IdempotencyRecord.request_hash) == request_hash,
            col(IdempotencyRecord.locked_until) < values["created_at"],
        )
        .values(**values)
    )
    return int(result.rowcount) == 1


def set_key_state(session: Session, record_id: int, *, expect: str, **values: Any) -> bool:
    result = session.exec(
        update(IdempotencyRecord)
        .where(col(IdempotencyRecord.id) == record_id, col(IdempotencyRecord.state) == expect)
        .values(**values)
    )
    return int(result.rowcount) == 1


def drop_key(session: Session, record_id: int) -> None:
    session.exec(delete(IdempotencyRecord).where(col(IdempotencyRecord.id) == record_id))


def prune_keys(session: Session, now: datetime, *, limit: int = 500) -> None:
    expired = (
        select(IdempotencyRecord.id).where(col(IdempotencyRecord.expires_at) <= now).limit(limit)
    )
    session.exec(delete(IdempotencyRecord).where(col(IdempotencyRecord.id).in_(expired)))


# -- lists and rate limits ---------------------------------------------------------------------


def nth_newest_ticket_at(
    session: Session, shop_id: int, since: datetime, n: int
) -> datetime | None:
    """When the shop's n-th newest ticket after `since` was opened (None if it has fewer)."""
    query = (
        select(Ticket.created_at)
        .where(Ticket.shop_id == shop_id, col(Ticket.created_at) > since)
        .order_by(col(Ticket.created_at).desc())
        .offset(n - 1)
        .limit(1)
    )
    return session.exec(query).first()
