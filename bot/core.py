"""The core's services built on one context: what the HTTP layer and the adapters call."""

from dataclasses import dataclass

from bot.config import Config
from bot.context import Context
from bot.desk import AgentDesk
from bot.digest import ManagerReports
from bot.inbox import Inbox
from bot.ratings import Ratings
from bot.service import TicketService
from storage.db import Database


@dataclass(frozen=True)
class Core:
    ctx: Context
    tickets: TicketService
    inbox: Inbox
    ratings: Ratings
    desk: AgentDesk
    reports: ManagerReports

    @classmethod
    def build(cls, ctx: Context) -> "Core":
        reports = ManagerReports(ctx)
        return cls(
            ctx=ctx,
            tickets=TicketService(ctx),
            inbox=Inbox(ctx),
            ratings=Ratings(ctx),
            desk=AgentDesk(ctx, stats=reports.stats),
            reports=reports,
        )

    @property
    def config(self) -> Config:
        return self.ctx.config

    @property
    def db(self) -> Database:
        return self.ctx.db
