"""What the HTTP layer needs from the composition root, in one object on `app.state`."""

from dataclasses import dataclass, field

from bot.config import Config, Secrets
from bot.desk import AgentDesk
from bot.service import TicketService
from bot.ticketing import Context
from storage.db import Database


@dataclass
class Services:
    config: Config
    secrets: Secrets
    db: Database
    ctx: Context
    tickets: TicketService
    desk: AgentDesk
    # Set by the runtime when the outbox worker runs in this process, to wake it after a commit.
    wake_outbox: list = field(default_factory=list)

    def kick_outbox(self) -> None:
        for wake in self.wake_outbox:
            wake()
