"""Signed, time-bounded links to read-only pages: a ticket's for agents, the managers' report."""

# A link names one ticket and when it expires, and carries an HMAC of both under a key derived
# from POMOC_SECRET_KEY: it opens that ticket's page and nothing else, and only until then.
# Expiry moves in whole windows counted from the ticket's creation, so the root message that
# shows the link renders the same until a window ends (and is not re-edited for it).
# A managers' link is signed under another purpose, so neither kind of link opens the other's page;
# it opens the managers' page and its CSV for any period until it expires.

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

WINDOW = timedelta(days=30)
PATH = "/agent/tickets/{id}"
MANAGERS_PATH = "/managers"
# A weekly report brings a fresh link; the previous one still works for the week after.
MANAGERS_LIFETIME = timedelta(days=14)


@dataclass(frozen=True, slots=True)
class AgentLinks:
    secret: str
    public_url: str  # without a trailing slash, as `Context.public_url` gives it

    def _mac(self, purpose: bytes, signed: str) -> str:
        key = hmac.new(self.secret.encode(), purpose, hashlib.sha256).digest()
        digest = hmac.new(key, signed.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def _ticket_mac(self, ticket_id: int, expires: int) -> str:
        return self._mac(b"pomoc/agent-ticket-link", f"{ticket_id}.{expires}")

    def _managers_mac(self, expires: int) -> str:
        return self._mac(b"pomoc/managers-link", str(expires))

    def expiry(self, created_at: datetime, now: datetime) -> datetime:
        """The end of the window `now` falls in, windows counted from `created_at`."""
        windows = max(0, (now - created_at) // WINDOW) + 1
        return created_at + windows * WINDOW

    def url(self, ticket_id: int, *, expires: datetime) -> str:
        stamp = int(expires.timestamp())
        path = PATH.format(id=ticket_id)
        return f"{self.public_url}{path}?exp={stamp}&sig={self._ticket_mac(ticket_id, stamp)}"

    def ticket_url(self, ticket_id: int, *, created_at: datetime, now: datetime) -> str:
        return self.url(ticket_id, expires=self.expiry(created_at, now))

    def valid(self, ticket_id: int, *, expires: int, signature: str, now: datetime) -> bool:
        return _honoured(signature, self._ticket_mac(ticket_id, expires), expires, now)

    def managers_url(self, now: datetime, *, days: int = 7) -> str:
        """A fresh link to the managers' page showing the last `days` days, valid for
        `MANAGERS_LIFETIME` from `now` (the weekly report and `pomoc managers link` give it)."""
        stamp = int((now + MANAGERS_LIFETIME).timestamp())
        query = f"days={days}&exp={stamp}&sig={self._managers_mac(stamp)}"
        return f"{self.public_url}{MANAGERS_PATH}?{query}"

    def managers_valid(self, *, expires: int, signature: str, now: datetime) -> bool:
        return _honoured(signature, self._managers_mac(expires), expires, now)


def _honoured(signature: str, expected: str, expires: int, now: datetime) -> bool:
    """The signature is the expected one (compared as bytes: any text a URL brings compares,
    in constant time) and the link has not expired."""
    if not hmac.compare_digest(signature.encode(), expected.encode()):
        return False
    return now < datetime.fromtimestamp(expires, UTC)
