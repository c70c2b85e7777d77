"""The managers' channel: standalone announcements (SLA alerts, digests) through the outbox."""

from datetime import datetime

from sqlmodel import Session

from bot.config import Config
from storage import repositories as repo
from storage.models import OutboxItem


def announce(session: Session, config: Config, *, key: str, text: str, now: datetime) -> bool:
    """Queue `text` for the managers' channel; False when none is configured or `key` was used."""
    managers = config.managers
    if managers.platform == "none" or not managers.channel:
        return False
    return repo.enqueue_once(
        session,
        OutboxItem(
            idempotency_key=key,
            ticket_id=None,
            platform=managers.platform,
            channel=managers.channel,
            operation="announce",
            payload={"text": text},
            next_attempt_at=now,
            created_at=now,
        ),
    )
