"""The agents' read-only ticket page: a signed, ticket-scoped, time-bounded link; never the
shop's token; everything about the ticket, nothing to act with."""

from urllib.parse import urlsplit

import httpx
from sqlmodel import select

from bot.snapshots import agent_page_url
from storage.models import Ticket
from tests.helpers import PNG_1X1, agent_reply, auth, png


async def open_ticket(client, token, **data) -> dict:
    response = await client.post(
        "/api/v1/tickets",
        headers=auth(token),
        data={"title": "Błąd płatności", "body": "Klienci nie mogą zapłacić BLIK-iem", **data},
        files=[("files", png("blik.png"))],
    )
    assert response.status_code == 201, response.text
    return response.json()


def link_of(services, ticket_id: int) -> str:
    with services.db.transaction() as session:
        url = agent_page_url(session.get(Ticket, ticket_id), services.ctx)
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def test_the_page_shows_everything_about_the_ticket_to_agents(client, services, shop_token):
    ticket = await open_ticket(client, shop_token)
    await agent_reply(services, ticket["id"], "!claim")
    await agent_reply(services, ticket["id"], "!note klient dzwonił dwa razy")
    await agent_reply(services, ticket["id"], "Sprawdzamy z operatorem")
    page = await client.get(link_of(services, ticket["id"]))
    assert page.status_code == 200
    html = page.text
    for expected in (
        "Klienci nie mogą zapłacić BLIK-iem",  # the description
        "klient dzwonił dwa razy",  # notes too
        "notatka wewnętrzna",
        "Sprawdzamy z operatorem",
        "blik.png",  # the files
        "claim",  # the audit trail
        "Tylko do odczytu",
    ):
        assert expected in html
    assert "<form" not in html and "<script" not in html  # acting stays in chat
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "default-src 'self'" in page.headers["content-security-policy"]
    file_link = html.split('href="/agent/tickets/', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    served = await client.get("/agent/tickets/" + file_link)
    assert served.status_code == 200 and served.content == PNG_1X1


async def test_the_link_opens_only_its_ticket_and_only_until_it_expires(
    client, services, shop_token, clock
):
    first = await open_ticket(client, shop_token)
    second = await open_ticket(client, shop_token)
    link = link_of(services, first["id"])
    other = link.replace(f"/tickets/{first['id']}?", f"/tickets/{second['id']}?")
    assert (await client.get(other)).status_code == 403
    assert (await client.get(link.replace("sig=", "sig=A"))).status_code == 403
    assert (await client.get(f"/agent/tickets/{first['id']}")).status_code == 403
    # The shop's own credentials open nothing here.
    bare = f"/agent/tickets/{first['id']}"
    assert (await client.get(bare, headers=auth(shop_token))).status_code == 403
    clock.advance(days=31)
    refused = await client.get(link)
    assert refused.status_code == 403 and "wygasł" in refused.text
    assert (await client.get(link_of(services, first["id"]))).status_code == 200  # a fresh one


async def test_the_link_in_the_root_stays_the_same_while_the_ticket_changes(
    services, client, shop_token, clock
):
    ticket = await open_ticket(client, shop_token)
    before = link_of(services, ticket["id"])
    clock.advance(days=3)
    await agent_reply(services, ticket["id"], "Odpowiedź")
    assert link_of(services, ticket["id"]) == before  # the root need not be edited for it


async def test_an_sla_breach_alert_links_to_the_agents_page(database_url, tmp_path, clock):
    from bot.config import Secrets
    from bot.sla import SlaMonitor
    from pomoc.cli import create_shop
    from pomoc.runtime import Runtime, build_core
    from storage.models import OutboxItem
    from tests.conftest import make_config
    from tests.fakes.chat import FakeChat
    from tests.fakes.triage import KeywordTriager

    config = make_config(
        database_url, tmp_path, managers={"platform": "matrix", "channel": "!managers:test"}
    )
    services = build_core(
        config, Secrets.from_env({}), clock=clock, triager=KeywordTriager(), migrate=False
    )
    runtime = Runtime(services, adapters={"matrix": FakeChat("matrix")})
    token = create_shop(config.database.url, "Sklep Ani")
    transport = httpx.ASGITransport(app=runtime.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        ticket = await open_ticket(client, token)
        clock.advance(days=3)
        SlaMonitor(services.ctx).check()
        with services.db.transaction() as session:
            query = select(OutboxItem).where(OutboxItem.operation == "announce")
            [alert] = session.exec(query).all()
        link = alert.payload["text"].split("http://127.0.0.1:8000", 1)[1].split()[0]
        assert link.startswith(f"/agent/tickets/{ticket['id']}?exp=")
        assert (await client.get(link)).status_code == 200
    services.db.dispose()
