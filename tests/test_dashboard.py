"""The Grafana dashboard (docs/grafana/pomoc.json) asks only for what `/metrics` serves."""

import json
import re
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.config import Secrets
from pomoc.runtime import Runtime, build_core
from tests.fakes.chat import FakeChat
from tests.fakes.triage import KeywordTriager
from tests.helpers import auth

DASHBOARD = Path(__file__).resolve().parents[1] / "docs" / "grafana" / "pomoc.json"
TOKEN = "metrics-token-for-tests"
# Names in PromQL that are no metric: aggregators, keywords (functions are followed by "(").
NOT_METRICS = {
    *("sum", "min", "max", "avg", "count", "group", "stddev", "stdvar", "topk", "bottomk"),
    *("quantile", "count_values", "and", "or", "unless", "offset", "bool", "inf", "nan"),
}
# What each metric type is served as (names below are family names, without suffixes).
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "gauge": ("",),
    "summary": ("_sum", "_count", "_created", ""),
}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)  # strings (label values)
    expr = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", expr)  # label matchers, ranges
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", expr)
    expr = re.sub(r"\$\{?\w+\}?", " ", expr)  # Grafana variables
    names = set()
    for match in re.finditer(r"(?<![\w.])([A-Za-z_:][\w:]*)\s*(\()?", expr):
        name, call = match.groups()
        if call is None and name.lower() not in NOT_METRICS:
            names.add(name)
    return names


def expressions(dashboard: dict) -> list[str]:
    found = []

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("expr"), str):
                found.append(node["expr"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(dashboard)
    return found


@pytest.fixture
def services(config, clock):
    secrets = Secrets.from_env({"POMOC_METRICS_TOKEN": TOKEN})
    core = build_core(config, secrets, clock=clock, triager=KeywordTriager(), migrate=False)
    yield core
    core.db.dispose()


@pytest.fixture
def runtime(services):
    return Runtime(services, adapters={"matrix": FakeChat("matrix")})


@pytest.fixture
def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text(encoding="utf-8"))


async def served(client) -> dict[str, str]:
    """Every sample name `/metrics` serves, with its family's type."""
    response = await client.get("/metrics", headers=auth(TOKEN))
    assert response.status_code == 200
    names = {}
    for family in text_string_to_metric_families(response.text):
        for suffix in SUFFIXES.get(family.type, ("",)):
            names[family.name + suffix] = family.type
    return names


def test_metric_names_are_read_from_promql_as_prometheus_would():
    expr = (
        "histogram_quantile(0.9, sum by (le, platform) (rate(pomoc_relay_latency_seconds_bucket"
        '{platform=~"slack|matrix", le!="x"}[$__rate_interval]))) / ignoring(instance) '
        "max without(job) (pomoc_tickets offset 1h) * 60 and on(status) up"
    )
    assert metric_names(expr) == {"pomoc_relay_latency_seconds_bucket", "pomoc_tickets", "up"}


async def test_every_metric_the_dashboard_asks_for_is_served(client, dashboard):
    names = await served(client)
    asked = {name for expr in expressions(dashboard) for name in metric_names(expr)}
    assert len(asked) >= 10  # the parser found the dashboard's queries
    assert asked - names.keys() == set()


async def test_each_histogram_has_its_median_and_p90_panel(client, dashboard):
    names = await served(client)
    histograms = {name.removesuffix("_bucket") for name in names if name.endswith("_bucket")}
    assert histograms == {
        "pomoc_first_response_seconds",
        "pomoc_relay_latency_seconds",
        "pomoc_triage_seconds",
        "pomoc_outbox_delivery_seconds",
    }
    queries = expressions(dashboard)
    for histogram in histograms:
        for quantile in ("0.5", "0.9"):
            assert any(
                q.startswith(f"histogram_quantile({quantile},") and f"{histogram}_bucket" in q
                for q in queries
            ), (histogram, quantile)


def test_panels_read_the_chosen_datasource(dashboard):
    assert dashboard["schemaVersion"] == 39
    [variable] = dashboard["templating"]["list"]
    assert (variable["name"], variable["type"], variable["query"]) == (
        "datasource",
        "datasource",
        "prometheus",
    )
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    assert {p["datasource"]["uid"] for p in panels} == {"${datasource}"}
    assert len({p["id"] for p in dashboard["panels"]}) == len(dashboard["panels"])
    titles = {p["title"] for p in panels}
    assert {"Tickets by status", "Outbox items by state", "Blocked channels"} <= titles
