"""Core -> Slack: root messages, thread posts, escaping, rate limits, errors, retries."""

import asyncio
import itertools
from datetime import timedelta

import httpx
from sqlmodel import select

from bot.events import ThreadRef
from bot.views import MessageView
from storage.models import MessageLink, OutboxItem, Shop, ThreadLink
from tests.helpers import auth, png
from tests.slack.conftest import SUPPORT, opened_thread, slack_runtime

HOSTILE = "<!channel> pilne <@UANNA> & <https://evil.example|kliknij>"


def buttons(message: dict) -> list[dict]:
    actions = [block for block in message["blocks"] if block["type"] == "actions"]
    return actions[0]["elements"]


async def test_ticket_opens_root_with_blocks_buttons_and_files(runtime, http, shop_token, fake):
    response = await http.post(
        "/api/v1/tickets",
        headers=auth(shop_token),
        data={
            "title": "Nie działa koszyk",
            "body": "Klienci nie mogą dodać produktu",
            "order_url": "https://sklep.pl/admin/orders/15",
        },
        files=[("files", png())],
    )
    assert response.status_code == 201, response.text
    ticket_id = response.json()["id"]
    await runtime.dispatcher.deliver_once()

    [root] = fake.roots(SUPPORT)
    params = root["params"]
    assert params["unfurl_links"] is False and params["unfurl_media"] is False
    assert "link_names" not in params
    assert root["metadata"]["event_type"] == "pomoc_delivery"
    assert root["metadata"]["event_payload"]["key"]
    text = str(root["blocks"])
    for expected in ("Nie działa koszyk", "Sklep Ani", "otwarte", "sklep.pl/admin/orders/15"):
        assert expected in text
    assert f"/agent/tickets/{ticket_id}?exp=" in text  # the agents' own page, signed
    assert [(b["action_id"], b["value"]) for b in buttons(root)] == [
        ("pomoc_claim", str(ticket_id)),
        ("pomoc_resolve", str(ticket_id)),
        ("pomoc_critical", str(ticket_id)),
    ]
    assert all(
        block["text"].get("verbatim") is True
        for block in root["blocks"]
        if block["type"] == "section" and "text" in block and block["text"]["type"] == "mrkdwn"
    )
    # The shop's screenshot went into the thread through files_upload_v2.
    [upload] = [u for u in fake.uploads.values() if u.get("thread_ts")]
    assert upload["thread_ts"] == root["ts"] and upload["channel"] == SUPPORT
    assert upload["data"].startswith(b"\x89PNG")
    with runtime.core.db.transaction() as session:
        link = session.exec(select(ThreadLink)).one()
    assert (link.channel, link.thread_id, link.root_message_id) == (SUPPORT, root["ts"], root["ts"])


async def test_shop_follow_up_and_hostile_text_are_escaped(runtime, http, shop_token, fake):
    ticket_id, ts = await opened_thread(runtime, http, shop_token, title=f"Tytuł {HOSTILE}")
    response = await http.post(
        f"/api/v1/tickets/{ticket_id}/messages", headers=auth(shop_token), data={"body": HOSTILE}
    )
    assert response.status_code == 201, response.text
    await runtime.dispatcher.deliver_once()

    [reply] = fake.replies(SUPPORT, ts)
    assert "Sklep Ani" in reply["text"]
    assert (
        "&lt;!channel&gt; pilne &lt;@UANNA&gt; &amp; &lt;https://evil.example|kliknij&gt;"
        in reply["text"]
    )
    # In the blocks the text is a rich_text text element: shown as typed, never parsed.
    [section] = reply["blocks"][0]["elements"]
    assert {"type": "text", "text": HOSTILE} in section["elements"]
    parsed = fake.parsed()
    for raw in ("<!channel>", "<@UANNA>", "<https://evil.example"):
        assert raw not in parsed
    assert "&lt;!channel&gt;" in fake.roots(SUPPORT)[0]["text"]


async def test_burst_of_thirty_tickets_keeps_the_channel_rate(database_url, tmp_path, clock, fake):
    interval = 0.05
    runtime = slack_runtime(database_url, tmp_path, clock, fake, interval=interval)
    from pomoc.cli import create_shop

    create_shop(runtime.core.config.database.url, "Sklep Ani")
    with runtime.core.db.transaction() as session:
        shop = session.get(Shop, 1)
    for n in range(30):
        runtime.core.tickets.open_ticket(shop=shop, title=f"Zgłoszenie {n}", body="Pomocy")
    while await runtime.dispatcher.deliver_once():
        pass

    posts = [c for c in fake.calls_of("chat.postMessage") if c.channel == SUPPORT]
    assert len(posts) == 30
    gaps = [b.at - a.at for a, b in itertools.pairwise(posts)]
    assert min(gaps) >= interval, gaps
    assert len(fake.roots(SUPPORT)) == 30
    titles = [root["text"] for root in fake.roots(SUPPORT)]
    assert [t.split(" ", 1)[1].split(" (")[0] for t in titles] == [
        f"Zgłoszenie {n}" for n in range(30)
    ]
    with runtime.core.db.transaction() as session:
        assert len(session.exec(select(ThreadLink)).all()) == 30
    runtime.core.db.dispose()


async def test_rate_limited_then_delivered_once(runtime, http, shop_token, fake, clock):
    fake.fail("chat.postMessage", status=429, error="ratelimited", retry_after=1)
    response = await http.post(
        "/api/v1/tickets", headers=auth(shop_token), data={"title": "Faktury", "body": "?"}
    )
    assert response.status_code == 201
    await runtime.dispatcher.deliver_once()
    with runtime.core.db.transaction() as session:
        item = session.exec(select(OutboxItem)).one()
        assert item.state == "pending"
        assert item.next_attempt_at.replace(tzinfo=None) == (
            clock.now() + timedelta(seconds=1)
        ).replace(tzinfo=None)
    assert fake.roots(SUPPORT) == []

    clock.advance(seconds=2)
    await runtime.dispatcher.deliver_once()
    assert len(fake.roots(SUPPORT)) == 1
    # The second attempt looked for an earlier copy first (retry=True) and found none.
    assert fake.calls_of("conversations.history")
    with runtime.core.db.transaction() as session:
        assert session.exec(select(OutboxItem)).one().state == "done"


async def test_server_error_retries_and_a_missing_channel_waits_for_its_fix(
    runtime, http, shop_token, fake, clock
):
    fake.fail("chat.postMessage", status=500, error="internal_error")
    await http.post("/api/v1/tickets", headers=auth(shop_token), data={"title": "A", "body": "?"})
    await runtime.dispatcher.deliver_once()
    with runtime.core.db.transaction() as session:
        item = session.exec(select(OutboxItem)).one()
        assert item.state == "pending" and "internal_error" in item.last_error

    fake.missing_channels.add(SUPPORT)
    clock.advance(minutes=20)
    await runtime.dispatcher.deliver_once()
    with runtime.core.db.transaction() as session:
        item = session.exec(select(OutboxItem)).one()
        # An operator can fix a wrong or deleted channel: the ticket waits, it is not given up.
        assert item.state == "pending" and "channel_not_found" in item.last_error
    fake.missing_channels.discard(SUPPORT)
    clock.advance(minutes=10)
    await runtime.dispatcher.deliver_once()
    with runtime.core.db.transaction() as session:
        assert session.exec(select(OutboxItem)).one().state == "done"
    assert len(fake.roots(SUPPORT)) == 1


async def test_retry_with_an_already_posted_key_does_not_post_twice(runtime, fake):
    adapter = runtime.adapters["slack"]
    ticket = _ticket_view()
    first = await adapter.open_thread(channel=SUPPORT, ticket=ticket, key="k-open", retry=False)
    again = await adapter.open_thread(channel=SUPPORT, ticket=ticket, key="k-open", retry=True)
    assert first == again
    assert len(fake.roots(SUPPORT)) == 1

    thread = ThreadRef("slack", SUPPORT, first[0])
    message = MessageView(id=1, ticket_id=1, author="shop", author_name="Sklep", body="Hej")
    ts = await adapter.post(thread=thread, message=message, key="k-post", retry=False)
    assert await adapter.post(thread=thread, message=message, key="k-post", retry=True) == ts
    assert len(fake.replies(SUPPORT, first[0])) == 1
    # A retry whose first attempt never arrived posts.
    other = await adapter.post(thread=thread, message=message, key="k-other", retry=True)
    assert other != ts and len(fake.replies(SUPPORT, first[0])) == 2

    announced = await adapter.announce(channel="CMGR", text="SLA <!here>", key="k-a", retry=False)
    assert await adapter.announce(channel="CMGR", text="x", key="k-a", retry=True) == announced
    assert len(fake.roots("CMGR")) == 1
    assert "<!here>" not in fake.parsed()


async def test_update_root_edits_in_place(runtime, http, shop_token, fake):
    ticket_id, ts = await opened_thread(runtime, http, shop_token)
    adapter = runtime.adapters["slack"]
    view = _ticket_view(ticket_id, status="resolved", assignee="Anna Nowak")
    await adapter.update_root(thread=ThreadRef("slack", SUPPORT, ts), root_id=ts, ticket=view)
    root = fake.find(SUPPORT, ts)
    assert root["edits"] == 1
    assert "rozwiązane" in str(root["blocks"]) and "Anna Nowak" in str(root["blocks"])


async def test_limiter_serialises_concurrent_posts(runtime, fake):
    adapter = runtime.adapters["slack"]
    adapter.limiter.interval = 0.03
    thread = ThreadRef("slack", SUPPORT, "1.0")
    message = MessageView(id=1, ticket_id=1, author="bot", author_name="", body="x")
    await asyncio.gather(
        *(adapter.post(thread=thread, message=message, key=f"k{n}", retry=False) for n in range(5))
    )
    posts = fake.calls_of("chat.postMessage")
    assert len(posts) == 5
    assert all(b.at - a.at >= 0.03 for a, b in itertools.pairwise(posts))


def _ticket_view(ticket_id: int = 1, **changes):
    from datetime import UTC, datetime

    from bot.views import TicketView

    fields = {
        "id": ticket_id,
        "shop_name": "Sklep <b>",
        "title": "Tytuł",
        "body": "Treść",
        "status": "open",
        "priority": "normal",
        "department": "other",
        "assignee": None,
        "order_url": None,
        "created_at": datetime(2026, 11, 25, tzinfo=UTC),
        "page_url": f"http://pomoc/agent/tickets/{ticket_id}?exp=1&sig=s",
    }
    return TicketView(**{**fields, **changes})


async def test_enabled_slack_needs_its_secrets(database_url, tmp_path, clock, fake):
    import pytest

    from bot.config import Secrets
    from bot.errors import ConfigError
    from pomoc.runtime import build_adapters, build_core

    runtime = slack_runtime(database_url, tmp_path, clock, fake)
    assert set(runtime.adapters) == {"slack"}
    transport = httpx.ASGITransport(app=runtime.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://pomoc") as http:
        assert (await http.post("/slack/events", content="{}")).status_code == 401
    services = build_core(
        runtime.core.config,
        Secrets.from_env({"POMOC_SECRET_KEY": "k"}),
        clock=clock,
        triager=runtime.core.ctx.triager,
        migrate=False,
    )
    with pytest.raises(ConfigError, match="POMOC_SLACK_BOT_TOKEN"):
        build_adapters(services, may_sync=lambda: True)
    services.db.dispose()
    runtime.core.db.dispose()


async def test_lost_answers_are_found_again_not_posted_twice(
    runtime, http, shop_token, fake, clock
):
    # Slack posts the root, then the answer is lost: the retry finds the copy by its key.
    fake.fail("chat.postMessage", status=500, error="internal_error", apply=True)
    ticket = await http.post(
        "/api/v1/tickets", headers=auth(shop_token), data={"title": "Zwroty", "body": "?"}
    )
    ticket_id = ticket.json()["id"]
    await runtime.dispatcher.deliver_once()
    assert len(fake.roots(SUPPORT)) == 1
    clock.advance(minutes=20)
    await runtime.dispatcher.deliver_once()
    [root] = fake.roots(SUPPORT)
    with runtime.core.db.transaction() as session:
        link = session.exec(select(ThreadLink)).one()
    assert link.thread_id == root["ts"]

    # The same for a shop's follow-up in the thread.
    fake.fail("chat.postMessage", status=500, error="internal_error", apply=True)
    await http.post(
        f"/api/v1/tickets/{ticket_id}/messages", headers=auth(shop_token), data={"body": "Halo?"}
    )
    await runtime.dispatcher.deliver_once()
    clock.advance(minutes=20)
    await runtime.dispatcher.deliver_once()
    [reply] = fake.replies(SUPPORT, root["ts"])
    assert fake.calls_of("conversations.replies")
    with runtime.core.db.transaction() as session:
        assert {item.state for item in session.exec(select(OutboxItem)).all()} == {"done"}
        assert session.exec(select(MessageLink)).one().external_id == reply["ts"]


async def test_critical_ticket_at_night_pages_on_call(database_url, tmp_path, clock, fake):
    from datetime import UTC, datetime

    from pomoc.cli import create_shop

    clock.set(datetime(2026, 11, 28, 22, 0, tzinfo=UTC))  # Saturday night
    runtime = slack_runtime(database_url, tmp_path, clock, fake, oncall="<!subteam^SONCALL>")
    create_shop(runtime.core.config.database.url, "Sklep Ani")
    with runtime.core.db.transaction() as session:
        shop = session.get(Shop, 1)
    runtime.core.tickets.open_ticket(shop=shop, title="Awaria płatności", body="<!here>")
    await runtime.dispatcher.deliver_once()
    [root] = fake.roots(SUPPORT)
    assert root["text"].startswith("<!subteam^SONCALL> 🔴")
    assert "<!subteam^SONCALL>" in str(root["blocks"])
    assert "<!here>" not in fake.parsed()
    runtime.core.db.dispose()


async def test_429_holds_the_channel_for_retry_after(runtime, fake):
    import pytest

    from bot.errors import DeliveryError

    adapter = runtime.adapters["slack"]
    root, _ = await adapter.open_thread(
        channel=SUPPORT, ticket=_ticket_view(), key="k", retry=False
    )
    thread = ThreadRef("slack", SUPPORT, root)
    message = MessageView(id=1, ticket_id=1, author="bot", author_name="", body="x")
    fake.fail("chat.postMessage", status=429, error="ratelimited", retry_after=1)
    with pytest.raises(DeliveryError) as failure:
        await adapter.post(thread=thread, message=message, key="k1", retry=False)
    assert failure.value.retry_after == 1.0 and not failure.value.permanent
    await adapter.post(thread=thread, message=message, key="k1", retry=True)
    _root, limited, posted = fake.calls_of("chat.postMessage")
    assert posted.at - limited.at >= 1.0
    assert len(fake.replies(SUPPORT, root)) == 1


async def test_a_long_hold_goes_back_to_the_outbox_without_calling_slack(runtime, fake):
    import pytest

    from bot.config import SlackConfig
    from bot.errors import DeliveryError

    assert SlackConfig().interval == 1.0  # the default budget: one message a second
    adapter = runtime.adapters["slack"]
    adapter.limiter.hold(SUPPORT, 30)
    thread = ThreadRef("slack", SUPPORT, "1.0")
    message = MessageView(id=1, ticket_id=1, author="bot", author_name="", body="x")
    with pytest.raises(DeliveryError) as failure:
        await adapter.post(thread=thread, message=message, key="k", retry=False)
    assert 29 < failure.value.retry_after <= 30
    assert fake.calls_of("chat.postMessage") == []
