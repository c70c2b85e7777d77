"""Whether this deployment is doing its job: database up, no channel waiting for an operator."""

from dataclasses import dataclass, field

from sqlalchemy.exc import SQLAlchemyError

from bot.channels import fix_for
from bot.context import Context
from bot.vocabulary import OutboxState
from storage import blocks
from storage import repositories as repo
from storage.models import OutboxItem


@dataclass(frozen=True, slots=True)
class Readiness:
    status: str  # "ok", "degraded" (working, but something needs an operator) or "unavailable"
    problems: tuple[str, ...] = field(default=())

    @property
    def ready(self) -> bool:
        """False only when this instance cannot serve at all (its database is unreachable)."""
        return self.status != "unavailable"


def readiness(ctx: Context) -> Readiness:
    try:
        with ctx.db.transaction() as session:
            blocked = blocks.blocked_channels(session)
            dead = repo.count_by(session, OutboxItem.state).get(OutboxState.DEAD, 0)
    except SQLAlchemyError as error:
        return Readiness("unavailable", (f"database unreachable: {type(error).__name__}",))
    problems = [
        f"{row.platform} {row.channel} blocked since {row.since.isoformat()}: {row.code} "
        f"({fix_for(row.code)})"
        for row in blocked
    ]
    if dead:
        problems.append(f"{dead} delivery(ies) gave up: pomoc outbox list --state dead")
    return Readiness("degraded" if problems else "ok", tuple(problems))
