"""Web inbox pages over HTTP: escaping, CSP, read marks, the form's rules, the live probes."""

import re
from pathlib import Path

from storage import repositories as repo
from tests.helpers import agent_reply, auth
from tests.web.conftest import web_login

TEMPLATES = Path(__file__).resolve().parents[2] / "adapters" / "panel" / "templates"
XSS_TITLE = "<img src=x onerror=alert(1)>"
XSS_BODY = "<script>alert(2)</script>\nlinia druga"


async def open_ticket(client, token, title="Blad platnosci p24", body="Klient nie moze zaplacic"):
    response = await client.post(
        "/api/v1/tickets", headers=auth(token), data={"title": title, "body": body}
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_untrusted_text_is_escaped_everywhere(client, services, shop_token):
    ticket = await open_ticket(client, shop_token, title=XSS_TITLE, body=XSS_BODY)
    await agent_reply(services, ticket["id"], '<script>alert(3)</script><a href="javascript:x">')
    await web_login(client, shop_token)
    for url in ("/panel", f"/panel/tickets/{ticket['id']}"):
        html = (await client.get(url)).text
        assert "<img src=x" not in html
        assert "<script>alert" not in html
        assert 'href="javascript:' not in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
    html = (await client.get(f"/panel/tickets/{ticket['id']}")).text
    assert "&lt;script&gt;alert(2)&lt;/script&gt;\nlinia druga" in html


async def test_pages_carry_a_strict_csp_and_no_inline_script(client, shop_token):
    ticket = await open_ticket(client, shop_token)
    await web_login(client, shop_token)
    for url in ("/panel", "/panel/new", f"/panel/tickets/{ticket['id']}"):
        response = await client.get(url)
        csp = response.headers["content-security-policy"]
        assert "script-src 'self';" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'self'" in csp
        scripts = re.findall(r"<script[^>]*>", response.text)
        assert scripts == ['<script src="/panel/static/inbox.js" defer>']
    for template in TEMPLATES.glob("*.html"):
        source = template.read_text()
        assert "|safe" not in source.replace(" ", ""), template.name
        assert not re.search(r"\son[a-z]+=|\sstyle=", source), template.name


async def test_static_files_are_served_with_their_types(client):
    js = await client.get("/panel/static/inbox.js")
    assert js.headers["content-type"].startswith("text/javascript")
    css = await client.get("/panel/static/inbox.css")
    assert css.headers["content-type"].startswith("text/css")
    assert (await client.get("/panel/static/..%2Fweb%2Fsession.py")).status_code == 404


async def test_opening_a_ticket_marks_it_read(client, services, shop_token):
    ticket = await open_ticket(client, shop_token, title="Szablon sklepu", body="Stopka?")
    await agent_reply(services, ticket["id"], "Stopka jest w Wyglad > Stopka")
    await web_login(client, shop_token)
    inbox = (await client.get("/panel")).text
    assert 'class="ticket status-waiting unread"' in inbox
    assert "hidden>!" not in inbox  # the badge shows
    page = (await client.get(f"/panel/tickets/{ticket['id']}")).text
    assert "Anna z supportu" in page
    assert "hidden>!" in page
    unread = await client.get("/api/v1/unread")
    assert unread.json() == {"unread": 0}


async def test_new_ticket_form_follows_the_platform_rules(client, shop_token):
    await web_login(client, shop_token)
    html = (await client.get("/panel/new")).text
    assert re.search(r'for="title">Tytuł <span class="req"[^>]*>\*</span>', html)
    assert re.search(r'for="body">Opis <span class="req"[^>]*>\*</span>', html)
    assert "2–3 słowa" in html
    assert "Do 10 plików, każdy do 1 MB: PNG, JPG, GIF, WebP, PDF." in html
    assert 'accept="image/png,image/jpeg,image/gif,image/webp,application/pdf"' in html
    assert "Jeden problem — jedno zgłoszenie." in html
    assert "Pełne zrzuty ekranu" in html
    assert "pon.–pt. 8:00–18:00" in html
    assert "tylko zgłoszenia krytyczne" in html


async def test_hints_offer_help_center_articles(client, shop_token):
    csrf = await web_login(client, shop_token)
    headers = {"X-CSRF-Token": csrf}
    found = await client.post(
        "/panel/hints", json={"title": "Blad p24", "body": ""}, headers=headers
    )
    assert found.status_code == 200
    assert 'href="https://selesto.pl/pomoc/p24-crc"' in found.text
    none = await client.post("/panel/hints", json={"title": "Logo", "body": ""}, headers=headers)
    assert none.text.strip() == ""


async def test_resolved_tickets_show_until_when_they_stay(client, shop_token):
    ticket = await open_ticket(client, shop_token)
    helped = await client.post(
        f"/api/v1/tickets/{ticket['id']}/feedback", headers=auth(shop_token), json={"helped": True}
    )
    assert helped.json()["status"] == "resolved"
    await web_login(client, shop_token)
    inbox = (await client.get("/panel")).text
    # Resolved on 25.11.2026; kept for the 90-day retention period.
    assert "Widoczne na liście do 23.02.2027" in inbox


async def test_live_probes_change_with_a_reply_and_hide_other_shops(
    client, services, shop_token, other_token
):
    ticket = await open_ticket(client, shop_token, title="Szablon sklepu", body="Stopka?")
    with services.db.transaction() as session:
        shop_id = repo.shop_by_token(session, shop_token).id
    before = (
        services.inbox.shop_version(shop_id),
        services.inbox.ticket_version(shop_id, ticket["id"]),
    )
    await agent_reply(services, ticket["id"], "Juz odpowiadam")
    after = (
        services.inbox.shop_version(shop_id),
        services.inbox.ticket_version(shop_id, ticket["id"]),
    )
    assert before[0] != after[0] and before[1] != after[1]
    assert services.inbox.ticket_version(shop_id + 1, ticket["id"]) is None
