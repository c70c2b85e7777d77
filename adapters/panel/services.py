"""What the HTTP layer needs from the composition root, in one object on `app.state`."""

from dataclasses import dataclass

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
