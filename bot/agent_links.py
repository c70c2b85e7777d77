"""Signed, time-bounded links to one ticket's read-only page for agents (never the shop's token)."""

# A link names one ticket and when it expires, and carries an HMAC of both under a key derived
# from POMOC_SECRET_KEY: it opens that ticket's page and nothing else, and only until then.
# Expiry moves in whole windows counted from the ticket's creation, so the root message that
# shows the link renders the same until a window ends (and is not re-edited for it).

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

WINDOW = timedelta(days=30)
PATH = "/agent/tickets/{id}"


@dataclass(frozen=True, slots=True)
class AgentLinks:
    secret: str
    public_url: str  # without a trailing slash, as `Context.public_url` gives it

    def _mac(self, ticket_id: int, expires: int) -> str:
        key = hmac.new(self.secret.encode(), b"pomoc/agent-ticket-link", hashlib.sha256).digest()
        digest = hmac.new(key, f"{ticket_id}.{expires}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def expiry(self, created_at: datetime, now: datetime) -> datetime:
        """The end of the window `now` falls in, windows counted from `created_at`."""
        windows = max(0, (now - created_at) // WINDOW) + 1
        return created_at + windows * WINDOW

    def url(self, ticket_id: int, *, expires: datetime) -> str:
        stamp = int(expires.timestamp())
        path = PATH.format(id=ticket_id)
        return f"{self.public_url}{path}?exp={stamp}&sig={self._mac(ticket_id, stamp)}"

    def ticket_url(self, ticket_id: int, *, created_at: datetime, now: datetime) -> str:
        return self.url(ticket_id, expires=self.expiry(created_at, now))

    def valid(self, ticket_id: int, *, expires: int, signature: str, now: datetime) -> bool:
        if not hmac.compare_digest(signature, self._mac(ticket_id, expires)):
            return False
        return now < datetime.fromtimestamp(expires, UTC)
