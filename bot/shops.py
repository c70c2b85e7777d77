"""Shops as the platform provisions them: upsert by its own id, tokens, (de)activation, and the
single-use login links of the web inbox (issued by Pomoc, or signed by the platform)."""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qs

from sqlmodel import Session

from storage import platform as platform_repo
from storage import repositories as repo
from storage.models import LoginLink, Shop

LINK_TTL = timedelta(seconds=60)
# A link the platform signs may live at most this long: it is a credential in a URL.
SIGNED_LINK_MAX_TTL = timedelta(minutes=10)
NONCE = re.compile(r"[A-Za-z0-9_-]{16,128}")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def upsert(
    session: Session, *, external_id: str, name: str, plan: str | None, now: datetime
) -> tuple[Shop, bool]:
    """The shop with the platform's id, created or renamed; True when it was created."""
    shop = platform_repo.shop_by_external_id(session, external_id)
    created = shop is None
    if shop is None:
        shop = Shop(
            name=name,
            token_hash=repo.hash_token(new_token()),  # unknown to anyone until rotated
            external_id=external_id,
            created_at=now,
        )
    shop.name, shop.plan = name, plan
    session.add(shop)
    session.flush()
    return shop, created


def rotate_token(session: Session, shop: Shop) -> str:
    """A new API token for the shop; the old one and every web session of the shop end."""
    token = new_token()
    shop.token_hash = repo.hash_token(token)
    session.add(shop)
    platform_repo.end_sessions(session, repo.row_id(shop))
    return token


def set_active(session: Session, shop: Shop, *, active: bool) -> None:
    """An inactive shop's token, links and sessions stop working (its tickets stay)."""
    shop.active = active
    session.add(shop)
    if not active:
        platform_repo.end_sessions(session, repo.row_id(shop))


def issue_link(
    session: Session, shop: Shop, *, now: datetime, ttl: timedelta = LINK_TTL
) -> tuple[str, datetime]:
    """A login link token for the shop, valid once within `ttl`."""
    token = new_token()
    expires = now + ttl
    session.add(
        LoginLink(
            token_hash=repo.hash_token(token),
            shop_id=repo.row_id(shop),
            created_at=now,
            expires_at=expires,
        )
    )
    platform_repo.prune_links(session, now)
    return token, expires


def link_signature(secret: str, *, external_id: str, expires: int, nonce: str) -> str:
    """What the platform signs: HMAC-SHA256 over `shop.expires.nonce`, hex."""
    message = f"{external_id}.{expires}.{nonce}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class LinkTarget:
    """The shop a login link opens, and how to use the link up."""

    shop: Shop
    token: str | None = None  # an issued link
    nonce: str | None = None  # a signed link
    expires_at: datetime | None = None


def _signed_target(
    session: Session, fields: dict[str, str], *, secret: str | None, now: datetime
) -> LinkTarget | None:
    external_id, nonce = fields.get("shop", ""), fields.get("nonce", "")
    expires, signature = fields.get("expires", ""), fields.get("signature", "")
    if not (secret and external_id and expires.isdigit() and NONCE.fullmatch(nonce)):
        return None
    expected = link_signature(secret, external_id=external_id, expires=int(expires), nonce=nonce)
    if not hmac.compare_digest(signature, expected):
        return None
    moment = int(expires)
    if not now.timestamp() < moment <= (now + SIGNED_LINK_MAX_TTL).timestamp():
        return None
    shop = platform_repo.shop_by_external_id(session, external_id)
    if shop is None or not shop.active:
        return None
    return LinkTarget(shop, nonce=nonce, expires_at=datetime.fromtimestamp(moment, now.tzinfo))


def link_target(
    session: Session, fragment: str, *, secret: str | None, now: datetime
) -> LinkTarget | None:
    """Which shop the link (the part after `#`) logs into, if it is valid; nothing is used up."""
    fields = {key: values[0] for key, values in parse_qs(fragment[:2000]).items()}
    token = fields.get("link")
    if token:
        shop = platform_repo.link_shop(session, token[:100], now)
        return LinkTarget(shop, token=token[:100]) if shop is not None else None
    return _signed_target(session, fields, secret=secret, now=now)


def use_link(session: Session, target: LinkTarget, *, now: datetime) -> bool:
    """Use the link up, atomically across instances; False if it was used meanwhile."""
    if target.token is not None:
        return platform_repo.use_link(session, target.token, now)
    assert target.nonce is not None and target.expires_at is not None
    return platform_repo.use_nonce(
        session,
        nonce_key=f"signed:{target.shop.id}:{target.nonce}",
        shop_id=repo.row_id(target.shop),
        expires_at=target.expires_at,
        now=now,
    )
