"""The composition root: builds every component from the config and runs them in one TaskGroup."""

import asyncio
import logging
import secrets as token_generator
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from adapters.base import ChatAdapter
from adapters.panel import web
from adapters.panel.app import create_app
from adapters.panel.metrics import DatabaseCollector, metrics_router
from adapters.panel.services import Services
from bot.clock import Clock, SystemClock
from bot.config import Config, Secrets
from bot.desk import AgentDesk
from bot.digest import ManagerReports
from bot.dispatch import OutboxDispatcher
from bot.errors import ConfigError
from bot.hours import SupportHours
from bot.housekeeping import Housekeeper
from bot.service import TicketService
from bot.sla import SlaMonitor
from bot.ticketing import Context
from bot.triage import Triager
from pomoc.scheduler import JobScheduler, leader_lock, standard_jobs
from storage.db import Database
from storage.files import AttachmentStore
from storage.migrate import upgrade

log = logging.getLogger(__name__)


def secret_key(secrets: Secrets, var_dir: Path) -> str:
    """POMOC_SECRET_KEY, or for a single embedded instance a key kept in var/ (mode 0600)."""
    if secrets.secret_key:
        return secrets.secret_key
    path = var_dir / "secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(token_generator.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


def build_services(
    config: Config,
    secrets: Secrets,
    *,
    clock: Clock | None = None,
    triager: Triager | None = None,
    migrate: bool = True,
) -> Services:
    if migrate:
        upgrade(config.database.url)
    if triager is None:
        from bot.triage import build_triager  # loads the help center: only when needed

        triager = build_triager(config.triage)
    db = Database(config.database.url)
    ctx = Context(
        config=config,
        clock=clock or SystemClock(),
        hours=SupportHours(config.support_hours),
        files=AttachmentStore(config.attachments.directory),
        triager=triager,
    )
    return Services(
        config=config,
        secrets=secrets,
        db=db,
        ctx=ctx,
        tickets=TicketService(db, ctx),
        desk=AgentDesk(db, ctx, stats=ManagerReports(db, ctx).stats),
    )


def build_adapters(services: Services) -> dict[str, ChatAdapter]:
    """The chat adapters the config enables; SDKs are imported only when enabled."""
    adapters: dict[str, ChatAdapter] = {}
    if services.config.matrix.enabled:
        from adapters.matrix.client import MatrixAdapter

        if not (services.secrets.matrix_access_token or services.secrets.matrix_password):
            raise ConfigError(
                "matrix.enabled needs POMOC_MATRIX_ACCESS_TOKEN or POMOC_MATRIX_PASSWORD"
            )
        adapters["matrix"] = MatrixAdapter(
            config=services.config,
            secrets=services.secrets,
            db=services.db,
            clock=services.ctx.clock,
        )
    if services.config.slack.enabled:
        from adapters.slack.client import SlackAdapter

        secrets = services.secrets
        if not secrets.slack_bot_token:
            raise ConfigError("slack.enabled needs POMOC_SLACK_BOT_TOKEN")
        if services.config.slack.mode == "http" and not secrets.slack_signing_secret:
            raise ConfigError("Slack in HTTP mode needs POMOC_SLACK_SIGNING_SECRET")
        if services.config.slack.mode == "socket" and not secrets.slack_app_token:
            raise ConfigError("Slack in Socket Mode needs POMOC_SLACK_APP_TOKEN")
        explicit = frozenset(
            route.channel
            for route in services.config.departments.values()
            if route.platform == "slack" and route.relay_mode == "explicit"
        )
        adapters["slack"] = SlackAdapter(
            services.config.slack,
            token=secrets.slack_bot_token,
            signing_secret=secrets.slack_signing_secret,
            app_token=secrets.slack_app_token,
            reply_action_channels=explicit,
        )
    return adapters


@dataclass
class Runtime:
    services: Services
    adapters: dict[str, ChatAdapter] = field(default_factory=dict)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.dispatcher = OutboxDispatcher(
            self.services.db,
            self.services.ctx,
            self.adapters,
            worker_id=self.services.config.server.instance_id,
        )
        self.services.db.on_outbox_commit(self._kick_threadsafe)
        self.metrics = CollectorRegistry()
        self.scheduler = self._scheduler()
        self.metrics.register(
            DatabaseCollector(self.services.db, leading=lambda: self.scheduler.leading)
        )
        if (matrix := self.adapters.get("matrix")) is not None:
            matrix.may_sync = lambda: self.scheduler.leading
        routers = [metrics_router(self.metrics), web.router]
        # Slack's Events API posts to us in HTTP mode; Socket Mode needs no public endpoint.
        slack = self.adapters.get("slack")
        if slack is not None and self.services.config.slack.mode == "http":
            routers.append(slack.events_router())
        self.app: FastAPI = create_app(self.services, routers=routers)
        # The key file sits in var/, next to the attachments, when POMOC_SECRET_KEY is unset.
        var_dir = self.services.config.attachments.directory.parent
        web.install_sessions(self.app, secret=secret_key(self.services.secrets, var_dir))
        self._loop: asyncio.AbstractEventLoop | None = None

    def _kick_threadsafe(self, channels: frozenset[str]) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self.dispatcher.kick, channels)

    def _scheduler(self) -> JobScheduler:
        services = self.services
        db, ctx = services.db, services.ctx
        jobs = standard_jobs(
            advance_due=services.tickets.advance_due,
            sla=SlaMonitor(db, ctx),
            housekeeper=Housekeeper(db, ctx),
            reports=ManagerReports(db, ctx),
        )
        lock = leader_lock(db, ctx.clock, owner=services.config.server.instance_id)
        return JobScheduler(db, jobs, lock, registry=self.metrics)

    async def run_workers(self) -> None:
        """Adapters, the outbox worker and the timers, until `stop` is set."""
        self._loop = asyncio.get_running_loop()
        for adapter in self.adapters.values():
            await adapter.start(self.services.desk.handle)
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self.dispatcher.run(self.stop))
                group.create_task(self.scheduler.run(self.stop))
        finally:
            for adapter in self.adapters.values():
                await adapter.stop()

    async def serve(self, *, host: str, port: int) -> None:
        """The HTTP server and every worker; Ctrl-C (or `stop`) ends all of them cleanly."""
        server = uvicorn.Server(
            uvicorn.Config(
                self.app,
                host=host,
                port=port,
                log_level="info",
                lifespan="off",
                access_log=self.services.config.server.access_log,
                # Open live-update streams (the inbox's SSE) must not hold a shutdown for minutes.
                timeout_graceful_shutdown=3,
            )
        )

        async def stop_when_server_exits() -> None:
            await server.serve()
            self.stop.set()

        async def stop_server_on_signal() -> None:
            await self.stop.wait()
            server.should_exit = True

        async with asyncio.TaskGroup() as group:
            group.create_task(stop_when_server_exits())
            group.create_task(stop_server_on_signal())
            group.create_task(self.run_workers())
