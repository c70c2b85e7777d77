"""Prometheus metrics at `/metrics`: ticket, outbox and SLA numbers read from the database."""

from collections.abc import Callable, Iterator

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.lifecycle import Status
from storage import repositories as repo
from storage.db import Database
from storage.models import OutboxItem, SlaAlert, Ticket

OUTBOX_STATES = ("pending", "done", "dead")


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
        tickets = GaugeMetricFamily("pomoc_tickets", "Tickets by status", labels=["status"])
        for status in Status:
            tickets.add_metric([status.value], statuses.get(status.value, 0))
        yield tickets
        items = GaugeMetricFamily("pomoc_outbox_items", "Outbox items by state", labels=["state"])
        for state in OUTBOX_STATES:
            items.add_metric([state], outbox.get(state, 0))
        yield items
        sla = CounterMetricFamily(
            "pomoc_sla_alerts", "SLA reminders and breach alerts sent", labels=["stage"]
        )
        for stage in ("reminder", "breach"):
            sla.add_metric([stage], alerts.get(stage, 0))
        yield sla
        yield GaugeMetricFamily(
            "pomoc_scheduler_leader",
            "1 when this instance runs the scheduled jobs",
            value=int(self.leading()),
        )


def metrics_router(registry: CollectorRegistry) -> APIRouter:
    router = APIRouter(tags=["ops"])

    @router.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        body = await run_in_threadpool(generate_latest, registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return router
