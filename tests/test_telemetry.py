"""The histograms on `/metrics`, observed by real flows: a ticket triaged, delivered, answered."""

from datetime import timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.config import Secrets
from bot.vocabulary import Platform
from pomoc.runtime import Runtime, build_core
from tests.fakes.chat import FakeChat
from tests.fakes.triage import KeywordTriager
from tests.helpers import agent_reply, auth

TOKEN = "metrics-token-for-tests"


class SlowTriager(KeywordTriager):
    """Takes 30 ms of the fake timer to assess."""

    def __init__(self, clock) -> None:
        self.clock = clock

    def assess(self, *, title: str, body: str):
        self.clock.advance(seconds=0.03)
        return super().assess(title=title, body=body)


@pytest.fixture
def services(config, clock):
    secrets = Secrets.from_env({"POMOC_METRICS_TOKEN": TOKEN})
    core = build_core(
        config, secrets, clock=clock, triager=SlowTriager(clock), migrate=False, timer=clock
    )
    yield core
    core.db.dispose()


@pytest.fixture
def runtime(services):
    return Runtime(services, adapters={"matrix": FakeChat("matrix")})


async def scrape(client: httpx.AsyncClient) -> dict[tuple[str, tuple], float]:
    """Every sample on `/metrics`, keyed by its name and sorted labels."""
    response = await client.get("/metrics", headers=auth(TOKEN))
    assert response.status_code == 200
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[sample.name, tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def buckets(samples, name: str, **labels: str) -> dict[str, float]:
    """The cumulative counts of one histogram series, by upper bound."""
    wanted = tuple(sorted(labels.items()))
    found = {}
    for (sample, keys), value in samples.items():
        bound = dict(keys).get("le")
        rest = tuple((k, v) for k, v in keys if k != "le")
        if sample == f"{name}_bucket" and rest == wanted:
            found[bound] = value
    return found


async def open_ticket(client, token: str) -> int:
    response = await client.post(
        "/api/v1/tickets",
        headers=auth(token),
        data={"title": "Błąd przy wysyłce", "body": "Kurier nie odbiera paczek od wczoraj"},
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def test_a_triage_is_timed_around_the_triagers_assessment(client, shop_token):
    before = await scrape(client)
    assert before["pomoc_triage_seconds_count", ()] == 0
    await open_ticket(client, shop_token)
    samples = await scrape(client)
    triage = buckets(samples, "pomoc_triage_seconds")
    assert triage["0.025"] == 0 and triage["0.05"] == 1 and triage["+Inf"] == 1
    assert samples["pomoc_triage_seconds_count", ()] == 1
    assert samples["pomoc_triage_seconds_sum", ()] == pytest.approx(0.03)


async def test_an_outbox_delivery_is_timed_from_its_creation_by_platform(
    client, shop_token, runtime, clock
):
    await open_ticket(client, shop_token)  # its thread is queued for Matrix
    clock.advance(seconds=2)
    assert await runtime.dispatcher.deliver_once() == 1
    samples = await scrape(client)
    matrix = buckets(samples, "pomoc_outbox_delivery_seconds", platform="matrix")
    assert matrix["1.0"] == 0 and matrix["2.5"] == 1 and matrix["+Inf"] == 1
    assert samples["pomoc_outbox_delivery_seconds_sum", (("platform", "matrix"),)] == 2
    # Every platform's series is there from the start, empty.
    slack = buckets(samples, "pomoc_outbox_delivery_seconds", platform="slack")
    assert slack["+Inf"] == 0


async def test_a_root_update_that_changes_nothing_is_no_delivery(
    client, shop_token, runtime, services, clock
):
    ticket_id = await open_ticket(client, shop_token)
    await runtime.dispatcher.deliver_once()
    await agent_reply(services, ticket_id, "!claim")  # the root shows the assignee
    await agent_reply(services, ticket_id, "!claim")  # claimed again: the same root
    await runtime.dispatcher.deliver_once()
    await runtime.dispatcher.deliver_once()
    samples = await scrape(client)
    assert samples["pomoc_outbox_delivery_seconds_count", (("platform", "matrix"),)] == 2


async def test_the_first_agent_reply_is_timed_once_and_every_reply_relayed(
    client, shop_token, services, clock
):
    ticket_id = await open_ticket(client, shop_token)
    clock.advance(minutes=10)
    await agent_reply(services, ticket_id, "!note sprawdzam", sent_at=clock.now())  # no reply
    await agent_reply(
        services, ticket_id, "Już sprawdzamy", sent_at=clock.now() - timedelta(seconds=1.5)
    )
    clock.advance(minutes=50)
    await agent_reply(
        services, ticket_id, "Naprawione", sent_at=clock.now() - timedelta(seconds=0.2)
    )
    samples = await scrape(client)
    first = buckets(samples, "pomoc_first_response_seconds")
    assert first["300.0"] == 0 and first["900.0"] == 1 and first["+Inf"] == 1
    assert samples["pomoc_first_response_seconds_sum", ()] == 600  # the later reply: no change
    relay = buckets(samples, "pomoc_relay_latency_seconds", platform="matrix")
    assert relay["0.1"] == 0 and relay["0.25"] == 1 and relay["1.0"] == 1 and relay["2.0"] == 2
    assert samples["pomoc_relay_latency_seconds_sum", (("platform", "matrix"),)] == pytest.approx(
        1.7
    )


async def test_a_platform_clock_ahead_of_ours_counts_as_no_delay(
    client, shop_token, services, clock
):
    ticket_id = await open_ticket(client, shop_token)
    await agent_reply(
        services, ticket_id, "Dzień dobry", sent_at=clock.now() + timedelta(seconds=3)
    )
    samples = await scrape(client)
    assert buckets(samples, "pomoc_relay_latency_seconds", platform="matrix")["0.05"] == 1


async def test_a_redelivered_event_is_measured_once(client, shop_token, services, clock):
    ticket_id = await open_ticket(client, shop_token)
    sent = clock.now()
    for _ in range(2):
        await agent_reply(services, ticket_id, "Odpowiedź", event_id="$same", sent_at=sent)
    samples = await scrape(client)
    assert samples["pomoc_first_response_seconds_count", ()] == 1
    assert samples["pomoc_relay_latency_seconds_count", (("platform", Platform.MATRIX.value),)] == 1
