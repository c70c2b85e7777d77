"""Prometheus `/metrics` (behind a token, or on a bind of its own): tickets, outbox, SLA."""

import hmac
from collections.abc import Callable, Iterator

from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.lifecycle import Status
from bot.vocabulary import OutboxState, Platform
from storage import repositories as repo
from storage.db import Database
from storage.models import BlockedChannel, OutboxItem, SlaAlert, Ticket


class DatabaseCollector(Collector):
    """Read at scrape time, so every instance reports the same shared numbers."""

    def __init__(self, db: Database, *, leading: Callable[[], bool]) -> None:
        self.db = db
        self.leading = leading

    def collect(self) -> Iterator[Metric]:
        with self.db.transaction() as session:
            statuses = repo.count_by(session, Ticket.status)
            outbox = repo.count_by(session, OutboxItem.state)
            alerts = repo.count_by(session, SlaAlert.stage)
            blocked = repo.count_by(session, BlockedChannel.platform)
        tickets = GaugeMetricFamily("pomoc_tickets", "Tickets by status", labels=["status"])
        for status in Status:
            tickets.add_metric([status.value], statuses.get(status.value, 0))
        yield tickets
        items = GaugeMetricFamily("pomoc_outbox_items", "Outbox items by state", labels=["state"])
        for state in OutboxState:
            items.add_metric([state], outbox.get(state, 0))
        yield items
        sla = CounterMetricFamily(
            "pomoc_sla_alerts", "SLA reminders and breach alerts sent", labels=["stage"]
        )
        for stage in ("reminder", "breach"):
            sla.add_metric([stage], alerts.get(stage, 0))
        yield sla
        waiting = GaugeMetricFamily(
            "pomoc_blocked_channels",
            "Channels (or whole platforms) whose deliveries wait for an operator",
            labels=["platform"],
        )
        for platform in Platform:
            waiting.add_metric([platform.value], blocked.get(platform.value, 0))
        yield waiting
        yield GaugeMetricFamily(
            "pomoc_scheduler_leader",
            "1 when this instance runs the scheduled jobs",
            value=int(self.leading()),
        )


def _authorised(request: Request, token: str | None) -> bool:
    if token is None:
        return True
    expected = f"Bearer {token}".encode()
    return hmac.compare_digest(request.headers.get("authorization", "").encode(), expected)


def metrics_router(registry: CollectorRegistry, *, token: str | None) -> APIRouter:
    """`/metrics`, asking for `Authorization: Bearer <token>` unless `token` is None."""
    router = APIRouter(tags=["ops"])

    @router.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        if not _authorised(request, token):
            return Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})
        body = await run_in_threadpool(generate_latest, registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return router


def public_metrics(
    registry: CollectorRegistry, *, token: str | None, address: str
) -> tuple[APIRouter, ...]:
    """What the public app serves: `/metrics` only behind a token, never when it has an address
    of its own (then `metrics_app` serves it there)."""
    if address or token is None:
        return ()
    return (metrics_router(registry, token=token),)


def metrics_app(registry: CollectorRegistry, *, token: str | None) -> FastAPI:
    """`/metrics` alone, for `[server] metrics_address` (a private bind; the token still applies
    when set)."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(metrics_router(registry, token=token))
    return app
