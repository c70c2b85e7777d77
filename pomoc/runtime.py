"""The composition root: builds every component from the config and runs them in one TaskGroup."""

import asyncio
import logging
import secrets as token_generator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import uvicorn
from fastapi import APIRouter, FastAPI
from prometheus_client import CollectorRegistry

from adapters.panel import health, web
from adapters.panel.app import create_app
from adapters.panel.histograms import PrometheusTelemetry
from adapters.panel.metrics import DatabaseCollector, metrics_app, public_metrics
from adapters.panel.webhooks import WebhookSender
from bot import platform_events
from bot.clock import Clock, SystemClock, SystemTimer, Timer
from bot.config import Config, Secrets
from bot.context import Context
from bot.core import Core
from bot.dispatch import OutboxDispatcher
from bot.errors import ConfigError
from bot.hours import SupportHours
from bot.housekeeping import Housekeeper
from bot.ports import ChatAdapter
from bot.sla import SlaMonitor
from bot.telemetry import TimedTriager
from bot.triage import Triager
from bot.vocabulary import Platform
from pomoc.http_server import SecondaryServer, metrics_server_config, server_config
from pomoc.scheduler import JobScheduler, leader_lock, standard_jobs
from storage.db import Database
from storage.files import AttachmentStore
from storage.inbound_queue import StoredEvents
from storage.migrate import upgrade
from storage.sync_state import StoredValue

log = logging.getLogger(__name__)

MATRIX_SYNC_KEY = "matrix.next_batch"


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


def build_core(
    config: Config,
    secrets: Secrets,
    *,
    clock: Clock | None = None,
    triager: Triager | None = None,
    migrate: bool = True,
    timer: Timer | None = None,
) -> Core:
    """`timer` times triage for the histograms on `/metrics` (tests give a fake one)."""
    if migrate:
        upgrade(config.database.url)
    if triager is None:
        from bot.triage import build_triager  # loads the help center: only when needed

        triager = build_triager(config.triage)
    # One key for everything signed (web sessions, agents' ticket links), resolved once here;
    # without POMOC_SECRET_KEY its file sits in var/, next to the attachments.
    key = secret_key(secrets, config.attachments.directory.parent)
    telemetry = PrometheusTelemetry()
    ctx = Context(
        config=config,
        secrets=replace(secrets, secret_key=key),
        db=Database(config.database.url),
        clock=clock or SystemClock(),
        hours=SupportHours(config.support_hours),
        files=AttachmentStore(config.attachments.directory),
        triager=TimedTriager(triager, telemetry=telemetry, timer=timer or SystemTimer()),
        telemetry=telemetry,
    )
    # Ticket changes queue webhook events in their own transactions (bot/platform_events.py).
    endpoints = tuple(config.webhooks.endpoints)
    platform_events.watch(ctx.db.engine, endpoints=endpoints, clock=ctx.clock)
    return Core.build(ctx)


def build_webhooks(core: Core) -> WebhookSender | None:
    """The sender for `[webhooks]` endpoints, or None when none is configured."""
    if not core.config.webhooks.endpoints:
        return None
    if not core.ctx.secrets.webhook_secret:
        raise ConfigError("webhooks.endpoints needs POMOC_WEBHOOK_SECRET (whsec_...)")
    # Signed with the wall clock whatever the core's clock says: receivers check it is recent.
    return WebhookSender(core.config.webhooks, secret=core.ctx.secrets.webhook_secret)


@dataclass(frozen=True)
class ChatEdges:
    """The enabled chat adapters and the HTTP routes they need (Slack's Events API)."""

    adapters: Mapping[Platform, ChatAdapter] = field(default_factory=dict)
    routers: tuple[APIRouter, ...] = ()


def _matrix(core: Core, may_sync: Callable[[], bool]) -> ChatAdapter:
    from adapters.matrix.adapter import MatrixAdapter

    secrets = core.ctx.secrets
    if not (secrets.matrix_access_token or secrets.matrix_password):
        raise ConfigError("matrix.enabled needs POMOC_MATRIX_ACCESS_TOKEN or POMOC_MATRIX_PASSWORD")
    tokens = StoredValue(core.db, core.ctx.clock, key=MATRIX_SYNC_KEY)
    return MatrixAdapter(config=core.config, secrets=secrets, tokens=tokens, may_sync=may_sync)


def _slack(core: Core) -> tuple[ChatAdapter, APIRouter | None]:
    from adapters.slack.adapter import SlackAdapter

    config, secrets = core.config, core.ctx.secrets
    if not secrets.slack_bot_token:
        raise ConfigError("slack.enabled needs POMOC_SLACK_BOT_TOKEN")
    if config.slack.mode == "http" and not secrets.slack_signing_secret:
        raise ConfigError("Slack in HTTP mode needs POMOC_SLACK_SIGNING_SECRET")
    if config.slack.mode == "socket" and not secrets.slack_app_token:
        raise ConfigError("Slack in Socket Mode needs POMOC_SLACK_APP_TOKEN")
    ours = [route for route in config.departments.values() if route.platform == "slack"]
    explicit = frozenset(route.channel for route in ours if route.relay_mode == "explicit")
    events = StoredEvents(
        core.db, core.ctx.clock, platform=Platform.SLACK, worker=config.server.instance_id
    )
    adapter = SlackAdapter(
        config.slack,
        token=secrets.slack_bot_token,
        events=events,
        signing_secret=secrets.slack_signing_secret,
        app_token=secrets.slack_app_token,
        reply_action_channels=explicit,
        department_channels=frozenset(route.channel for route in ours if route.channel),
        language=config.chat.language,
    )
    return adapter, adapter.router()


def build_adapters(core: Core, *, may_sync: Callable[[], bool]) -> ChatEdges:
    """The chat adapters the config enables (SDKs are imported only then) and their routes.

    `may_sync` says whether this instance may read Matrix now (only the leader does)."""
    adapters: dict[Platform, ChatAdapter] = {}
    routers: list[APIRouter] = []
    if core.config.matrix.enabled:
        adapters[Platform.MATRIX] = _matrix(core, may_sync)
    if core.config.slack.enabled:
        adapters[Platform.SLACK], router = _slack(core)
        if router is not None:
            routers.append(router)
    return ChatEdges(adapters, tuple(routers))


def build_scheduler(core: Core, registry: CollectorRegistry) -> JobScheduler:
    ctx = core.ctx
    jobs = standard_jobs(
        advance_due=core.tickets.advance_due,
        sla=SlaMonitor(ctx),
        housekeeper=Housekeeper(ctx),
        reports=core.reports,
    )
    lock = leader_lock(ctx.db, ctx.clock, owner=ctx.config.server.instance_id)
    return JobScheduler(ctx.db, jobs, lock, registry=registry)


class Runtime:
    """Everything one `pomoc run` process runs: the HTTP app, adapters, outbox and timers."""

    def __init__(
        self,
        core: Core,
        *,
        adapters: Mapping[Platform, ChatAdapter] | None = None,
    ) -> None:
        """`adapters`: given (tests, fakes) or built from the config."""
        self.core = core
        self.stop = asyncio.Event()
        self.metrics = CollectorRegistry()
        self.scheduler = build_scheduler(core, self.metrics)
        if adapters is None:
            edges = build_adapters(core, may_sync=lambda: self.scheduler.leading)
        else:
            edges = ChatEdges(adapters)
        self.adapters = edges.adapters
        self.dispatcher = OutboxDispatcher(
            core.ctx,
            self.adapters,
            worker_id=core.config.server.instance_id,
            webhooks=build_webhooks(core),
        )
        core.db.on_outbox_commit(self._kick_threadsafe)
        self.metrics.register(DatabaseCollector(core.db, leading=lambda: self.scheduler.leading))
        if isinstance(core.ctx.telemetry, PrometheusTelemetry):  # built by `build_core`
            self.metrics.register(core.ctx.telemetry)
        metrics = public_metrics(
            self.metrics,
            token=core.ctx.secrets.metrics_token,
            address=core.config.server.metrics_address,
        )
        routers = [*metrics, health.router, web.router, *edges.routers]
        self.app: FastAPI = create_app(core, routers=routers)
        web.install_sessions(self.app, secret=core.ctx.secrets.secret_key)
        self._loop: asyncio.AbstractEventLoop | None = None

    def _kick_threadsafe(self, channels: frozenset[str]) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self.dispatcher.kick, channels)

    async def run_workers(self) -> None:
        """Adapters, the outbox worker and the timers, until `stop` is set."""
        self._loop = asyncio.get_running_loop()
        for adapter in self.adapters.values():
            await adapter.start(self.core.desk.handle)
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self.dispatcher.run(self.stop))
                group.create_task(self.scheduler.run(self.stop))
        finally:
            for adapter in self.adapters.values():
                await adapter.stop()

    async def serve(self, *, host: str, port: int) -> None:
        """The HTTP server and every worker; Ctrl-C (or `stop`) ends all of them cleanly."""
        settings = self.core.config.server
        # Deadlines for slow clients, a connection cap, proxies trusted only when configured.
        server = uvicorn.Server(server_config(self.app, settings, host=host, port=port))
        servers = [server]
        if settings.metrics_address:
            metrics = metrics_app(self.metrics, token=self.core.ctx.secrets.metrics_token)
            servers.append(SecondaryServer(metrics_server_config(metrics, settings)))

        async def stop_when_server_exits() -> None:
            await server.serve()
            self.stop.set()

        async def stop_server_on_signal() -> None:
            await self.stop.wait()
            for each in servers:
                each.should_exit = True

        async with asyncio.TaskGroup() as group:
            group.create_task(stop_when_server_exits())
            group.create_task(stop_server_on_signal())
            for secondary in servers[1:]:
                group.create_task(secondary.serve())
            group.create_task(self.run_workers())
