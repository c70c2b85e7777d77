"""The small exception tree every layer speaks; adapters translate their SDK errors into it."""


class PomocError(Exception):
    """Base of every error Pomoc raises on purpose."""


class NotFound(PomocError):
    """The thing does not exist, or belongs to another shop (both look the same from outside)."""


class InvalidTransition(PomocError):
    """The ticket's state does not allow the requested action."""

    def __init__(self, status: str, action: str) -> None:
        super().__init__(f"cannot {action} a ticket that is {status}")
        self.status = status
        self.action = action


class ValidationFailed(PomocError):
    """Input a shop owner can fix; `field` names the form field, `message` is in Polish."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class RateLimited(PomocError):
    """Too many requests from one shop in the window."""


class ThreadNotReady(PomocError):
    """A reply came in a thread whose opening is being recorded right now (an agent can answer
    before Pomoc has stored the new thread's id): handle it again in a moment."""


class DeliveryError(PomocError):
    """A chat platform refused or failed a delivery; `retry_after` (seconds) when it said so."""

    def __init__(self, message: str, *, retry_after: float | None = None, permanent: bool = False):
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent


class ConfigError(PomocError):
    """The configuration is missing a key, has a wrong value or still holds an example value."""
