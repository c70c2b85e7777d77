"""Prometheus histograms of what the core measures (`bot.telemetry`), served on `/metrics`."""

# Observed in this process only: with several instances each `/metrics` holds its own
# observations, so dashboards sum the buckets over instances before taking quantiles.

from collections.abc import Iterator

from prometheus_client import Histogram
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from bot.vocabulary import Platform

# From a minute to three days: first responses wait for support hours and weekends.
FIRST_RESPONSE_BUCKETS = (60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 172800, 259200)
# Chat to the shop's inbox is one event and one transaction: fractions of a second.
RELAY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60)
# Keyword rules take milliseconds, the semantic model tens of them.
TRIAGE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
# Mostly under a second; retries, rate limits and blocked channels stretch it to hours.
DELIVERY_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600)


class PrometheusTelemetry(Collector):
    """`bot.telemetry.Telemetry` as histograms; registered in the runtime's registry."""

    def __init__(self) -> None:
        # registry=None: each runtime registers its own, so two in one process never clash.
        self.first_responses = Histogram(
            "pomoc_first_response_seconds",
            "Wall-clock seconds from a ticket's creation to its first agent reply",
            buckets=FIRST_RESPONSE_BUCKETS,
            registry=None,
        )
        self.relays = Histogram(
            "pomoc_relay_latency_seconds",
            "Seconds from an agent's chat message to its reply stored for the shop",
            ["platform"],
            buckets=RELAY_BUCKETS,
            registry=None,
        )
        self.triages = Histogram(
            "pomoc_triage_seconds",
            "Seconds the triager took to assess a new ticket",
            buckets=TRIAGE_BUCKETS,
            registry=None,
        )
        self.deliveries = Histogram(
            "pomoc_outbox_delivery_seconds",
            "Seconds from an outbox item's creation to its delivery, by platform",
            ["platform"],
            buckets=DELIVERY_BUCKETS,
            registry=None,
        )
        # Every series exists from the start (zeros), so rates and dashboards never miss one.
        for platform in Platform:
            self.deliveries.labels(platform.value)
            if platform != Platform.WEBHOOK:  # agents write in chats only
                self.relays.labels(platform.value)

    def first_response(self, seconds: float) -> None:
        self.first_responses.observe(seconds)

    def relayed(self, platform: Platform, seconds: float) -> None:
        self.relays.labels(str(platform)).observe(seconds)

    def triaged(self, seconds: float) -> None:
        self.triages.observe(seconds)

    def delivered(self, platform: Platform, seconds: float) -> None:
        self.deliveries.labels(str(platform)).observe(seconds)

    def collect(self) -> Iterator[Metric]:
        for histogram in (self.first_responses, self.relays, self.triages, self.deliveries):
            yield from histogram.collect()
