"""The small exception tree every layer speaks; adapters translate their SDK errors into it."""

from enum import StrEnum


class PomocError(Exception):
    """Base of every error Pomoc raises on purpose."""


class NotFound(PomocError):
    """The thing does not exist, or belongs to another shop (both look the same from outside)."""


class InvalidTransition(PomocError):
    """The ticket's state does not allow the requested action; `refusal` says why to the shop
    (in Polish) when a generic "not now" would leave it guessing."""

    def __init__(self, status: str, action: str, *, refusal: str | None = None) -> None:
        super().__init__(f"cannot {action} a ticket that is {status}")
        self.status = status
        self.action = action
        self.refusal = refusal


class ValidationFailed(PomocError):
    """Input a shop owner can fix; `field` names the form field, `message` is in Polish."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class RateLimited(PomocError):
    """Too many requests from one shop in the window; `retry_after` seconds until one more is
    allowed, `kind` what was limited (tickets, messages, reads)."""

    def __init__(self, message: str, *, retry_after: float, kind: str = "tickets") -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.kind = kind


class ThreadNotReady(PomocError):
    """A reply came in a thread whose opening is being recorded right now (an agent can answer
    before Pomoc has stored the new thread's id): handle it again in a moment."""


class Failure(StrEnum):
    """What a failed delivery needs: the three ways (and a deleted root, a moved ticket) the outbox
    tells apart."""

    TRANSIENT = "transient"  # try again later, with backoff (timeouts, 5xx, rate limits)
    CHANNEL = "channel"  # the channel needs an operator (bot not in it, archived, gone)
    PLATFORM = "platform"  # the whole workspace or homeserver does (token revoked, scope missing)
    PERMANENT = "permanent"  # this one message can never be delivered as it is
    THREAD_GONE = "thread_gone"  # the ticket's root message was deleted
    MOVED = "moved"  # the ticket moved away after the item was queued: it follows the ticket


# Failures that pause a lane until an operator fixes something; its items wait, none is lost.
BLOCKING = frozenset({Failure.CHANNEL, Failure.PLATFORM})


class DeliveryError(PomocError):
    """A chat platform refused or failed a delivery; `retry_after` (seconds) when it said so."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        failure: Failure = Failure.TRANSIENT,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.failure = failure
        self.code = code  # the platform's own error code, e.g. not_in_channel, M_FORBIDDEN

    @property
    def permanent(self) -> bool:
        return self.failure == Failure.PERMANENT


class ConfigError(PomocError):
    """The configuration is missing a key, has a wrong value or still holds an example value."""
