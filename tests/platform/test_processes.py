"""The integration against real `pomoc run` processes: creates in every format, idempotent retries
across two instances, webhooks through a receiver outage and a SIGKILL."""

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlmodel import func, select

from bot.vocabulary import OutboxState, Platform
from storage.db import Database
from storage.models import OutboxItem, Ticket
from tests.helpers import PNG_1X1
from tests.platform.processes import start, write_config
from tests.platform.receiver import Receiver
from tests.platform.support import PLATFORM_KEY
from tests.support_db import PG_URL

pytestmark = pytest.mark.slow  # real processes or load: `make test`, not `make check`

PLATFORM = {"Authorization": f"Bearer {PLATFORM_KEY}"}


def provision(url: str, external_id: str, name: str) -> dict[str, str]:
    """Create the shop through the platform API; the headers that act for it."""
    created = httpx.put(
        f"{url}/api/v1/platform/shops/{external_id}",
        headers=PLATFORM,
        json={"name": name, "plan": "pro"},
    )
    assert created.status_code in (200, 201), created.text
    return {**PLATFORM, "Pomoc-Shop": external_id}


def count_tickets(database_url: str) -> int:
    db = Database(database_url)
    try:
        with db.transaction() as session:
            return session.exec(select(func.count()).select_from(Ticket)).one()
    finally:
        db.dispose()


def test_creates_in_every_format_and_retries_over_real_http(tmp_path, database_url):
    pomoc = start(write_config(tmp_path, database_url))
    try:
        shop = provision(pomoc.url, "sklep-7", "Sklep Siedem")
        api = f"{pomoc.url}/api/v1"
        as_json = httpx.post(
            f"{api}/tickets", headers=shop, json={"title": "Płatność", "body": "Nie działa"}
        )
        assert as_json.status_code == 201, as_json.text
        multipart = httpx.post(
            f"{api}/tickets",
            headers=shop,
            data={"title": "Logo", "body": "Zrzut"},
            files=[("files", ("a.png", PNG_1X1, "image/png"))],
        )
        assert multipart.status_code == 201, multipart.text
        upload = httpx.post(
            f"{api}/uploads", headers=shop, files={"file": ("b.png", PNG_1X1, "image/png")}
        ).json()
        with_token = httpx.post(
            f"{api}/tickets",
            headers={**shop, "Idempotency-Key": "order-15"},
            json={"title": "Zwrot", "body": "Klient chce zwrot", "uploads": [upload["token"]]},
        )
        assert with_token.status_code == 201, with_token.text
        assert with_token.json()["messages"][0]["attachments"][0]["filename"] == "b.png"
        retried = httpx.post(
            f"{api}/tickets",
            headers={**shop, "Idempotency-Key": "order-15"},
            json={"title": "Zwrot", "body": "Klient chce zwrot", "uploads": [upload["token"]]},
        )
        assert retried.json() == with_token.json()
        listed = httpx.get(f"{api}/tickets", headers=shop).json()
        assert [t["title"] for t in listed["tickets"]] == ["Zwrot", "Logo", "Płatność"]
    finally:
        log = pomoc.stop()
    assert "Traceback" not in log, log


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="two instances share PostgreSQL")
def test_idempotent_retries_across_two_instances(tmp_path, database_url):
    first = start(write_config(tmp_path, database_url, name="pomoc-1"))
    second = start(write_config(tmp_path, database_url, name="pomoc-2"))
    try:
        shop = provision(first.url, "sklep-8", "Sklep Osiem")
        body = {"title": "Zmiana szablonu", "body": "Jak zmienić szablon?"}
        headers = {**shop, "Idempotency-Key": "platform-retry-1"}

        def send(url: str) -> httpx.Response:
            return httpx.post(f"{url}/api/v1/tickets", headers=headers, json=body, timeout=30)

        with ThreadPoolExecutor(max_workers=6) as pool:
            answers = list(pool.map(send, [first.url, second.url] * 3))
        assert {a.status_code for a in answers} <= {201, 409}, [a.text for a in answers]
        assert count_tickets(database_url) == 1
        created = next(a for a in answers if a.status_code == 201).json()
        for url in (first.url, second.url):  # a later retry, on either instance
            again = send(url)
            assert again.status_code == 201 and again.json() == created
            assert again.headers["idempotent-replayed"] == "true"
        assert count_tickets(database_url) == 1
    finally:
        logs = first.stop() + second.stop()
    assert "Traceback" not in logs, logs


def webhook_items(database_url: str) -> list[OutboxItem]:
    db = Database(database_url)
    try:
        with db.transaction() as session:
            query = select(OutboxItem).where(OutboxItem.platform == Platform.WEBHOOK)
            return list(session.exec(query.order_by(OutboxItem.id)))
    finally:
        db.dispose()


def wait_for(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_webhooks_survive_a_receiver_outage_and_a_sigkill(tmp_path, database_url):
    receiver = Receiver()  # not started: the platform's endpoint is down
    config = write_config(tmp_path, database_url, webhook_url=receiver.url)
    pomoc = start(config)
    try:
        shop = provision(pomoc.url, "sklep-9", "Sklep Dziewięć")
        for n in range(12):
            title = "Przelewy24 konfiguracja" if n % 2 else "Zmiana stopki"
            ticket = httpx.post(
                f"{pomoc.url}/api/v1/tickets", headers=shop, json={"title": title, "body": f"{n}"}
            ).json()
            if ticket["status"] == "suggested":
                httpx.post(
                    f"{pomoc.url}/api/v1/tickets/{ticket['id']}/feedback",
                    headers=shop,
                    json={"helped": n % 4 == 1},
                )
        time.sleep(1)  # deliveries tried and refused meanwhile
        assert receiver.events == {}
        receiver.start()
        wait_for(lambda: len(receiver.events) >= 3)
        pomoc.kill()  # mid-delivery: whatever was in flight is delivered again
        pomoc = start(config)
        expected = webhook_items(database_url)
        wait_for(
            lambda: (
                len(receiver.events) == len(expected)
                and {i.state for i in webhook_items(database_url)} == {OutboxState.DONE}
            )
        )
    finally:
        log = pomoc.stop()
        receiver.stop()
    items = webhook_items(database_url)
    assert len(items) >= 12 and receiver.refused == []
    assert set(receiver.events) == {item.payload["event_id"] for item in items}
    # In order per ticket: the first arrival of each event follows the outbox's order.
    for ticket_id in {item.ticket_id for item in items}:
        queued = [i.payload["body"]["type"] for i in items if i.ticket_id == ticket_id]
        assert receiver.types_for(ticket_id) == queued, ticket_id
    assert "Traceback" not in log, log
