"""Web inbox sessions over HTTP: single-use login links, server-side sessions, CSRF, isolation."""

import logging

import uvicorn

from tests.helpers import agent_reply, auth, png
from tests.platform.support import link_for, same_origin
from tests.web.conftest import csrf_of, web_login


async def log_in(client, link: str, **extra):
    return await client.post(
        "/panel/login/link", json={"link": link, **extra}, headers=same_origin(client)
    )


async def test_a_login_link_opens_an_httponly_lax_session_once(client, services, shop_token):
    link = link_for(services, shop_token)
    response = await log_in(client, link)
    assert response.status_code == 200, response.text
    assert response.json() == {"location": "/panel"}
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("pomoc_session=")
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower() and "Path=/" in cookie
    assert shop_token not in cookie and link.split("=")[1] not in cookie
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"
    inbox = await client.get("/panel")
    assert inbox.status_code == 200 and "Sklep Ani" in inbox.text

    client.cookies.clear()
    replayed = await log_in(client, link)
    assert replayed.status_code == 401
    assert "set-cookie" not in replayed.headers
    assert (await client.get("/panel")).status_code == 401


async def test_an_expired_link_opens_nothing(client, services, shop_token, clock):
    link = link_for(services, shop_token)
    clock.advance(seconds=61)
    response = await log_in(client, link)
    assert response.status_code == 401
    assert "wygasł" in response.json()["detail"]


async def test_a_cross_site_post_logs_nobody_in(client, services, shop_token):
    link = link_for(services, shop_token)
    cross = {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}
    refused = await client.post("/panel/login/link", json={"link": link}, headers=cross)
    assert refused.status_code == 403
    assert "set-cookie" not in refused.headers
    no_origin = await client.post("/panel/login/link", json={"link": link})
    assert no_origin.status_code == 403
    foreign = await client.post(
        "/panel/login/link", json={"link": link}, headers={"Origin": "https://evil.example"}
    )
    assert foreign.status_code == 403
    form = await client.post("/panel/login", data={"token": shop_token}, headers=cross)
    assert form.status_code == 403 and "set-cookie" not in form.headers
    # Refused posts used nothing up: the owner's own page still logs in with the link.
    assert (await log_in(client, link)).status_code == 200


async def test_the_shop_token_in_a_url_is_refused(client, shop_token):
    response = await client.get("/panel/login", params={"token": shop_token})
    assert response.status_code == 401
    assert "set-cookie" not in response.headers
    assert "Link logowania jest nieprawidłowy" in response.text
    assert (await client.get("/panel")).status_code == 401


async def test_replacing_another_shops_session_asks_first(
    client, services, shop_token, other_token
):
    await log_in(client, link_for(services, shop_token))
    first = client.cookies["pomoc_session"]
    other_link = link_for(services, other_token)
    asked = await log_in(client, other_link)
    assert asked.status_code == 409
    assert "Sklep Ani" in asked.json()["detail"] and "Sklep Bartka" in asked.json()["confirm"]
    assert "Sklep Ani" in (await client.get("/panel")).text  # nothing changed yet

    switched = await log_in(client, other_link, switch=True)
    assert switched.status_code == 200
    assert "Sklep Bartka" in (await client.get("/panel")).text
    # The replaced session is gone on the server, not only from this browser.
    client.cookies.clear()
    old = await client.get("/panel", headers={"Cookie": f"pomoc_session={first}"})
    assert old.status_code == 401


async def test_logout_ends_the_session_on_the_server(client, shop_token):
    csrf = await web_login(client, shop_token)
    copied = client.cookies["pomoc_session"]
    refused = await client.post("/panel/logout")
    assert refused.status_code == 403  # a forged cross-site request cannot log anyone out
    assert (await client.get("/panel")).status_code == 200

    done = await client.post("/panel/logout", headers={"X-CSRF-Token": csrf})
    assert done.status_code == 204
    cleared = done.headers["set-cookie"]
    assert cleared.startswith('pomoc_session=""') and "Max-Age=0" in cleared
    page = await client.get("/panel")
    assert page.status_code == 401 and "Zaloguj się do POMOC" in page.text
    # A copy of the cookie (another tab, a stolen one) is dead too: the server forgot it.
    replay = await client.get("/panel", headers={"Cookie": f"pomoc_session={copied}"})
    assert replay.status_code == 401
    api = await client.get("/api/v1/unread", headers={"Cookie": f"pomoc_session={copied}"})
    assert api.status_code == 401
    # The API with the shop's own token is unaffected: the platform's server keeps working.
    assert (await client.get("/api/v1/unread", headers=auth(shop_token))).status_code == 200


async def test_made_up_or_expired_cookies_are_no_session(client, shop_token, clock):
    await web_login(client, shop_token)
    real = client.cookies["pomoc_session"]
    client.cookies.clear()
    made_up = {"Cookie": f"pomoc_session={real[:-2]}xx"}
    assert (await client.get("/panel", headers=made_up)).status_code == 401
    genuine = {"Cookie": f"pomoc_session={real}"}
    assert (await client.get("/panel", headers=genuine)).status_code == 200
    clock.advance(hours=13)
    assert (await client.get("/panel", headers=genuine)).status_code == 401


async def test_state_changes_by_cookie_need_the_csrf_token(client, shop_token):
    csrf = await web_login(client, shop_token)
    form = {"title": "Zmiana logo", "body": "Jak podmienic logo?"}
    missing = await client.post("/api/v1/tickets", data=form)
    assert missing.status_code == 403
    assert missing.json()["detail"].startswith("Sesja wygasła")
    wrong = await client.post("/api/v1/tickets", data=form, headers={"X-CSRF-Token": "x" * 43})
    assert wrong.status_code == 403
    hints = await client.post("/panel/hints", json={"title": "p24", "body": ""})
    assert hints.status_code == 403
    created = await client.post("/api/v1/tickets", data=form, headers={"X-CSRF-Token": csrf})
    assert created.status_code == 201, created.text
    # The platform's server calls with its bearer token: no browser, no CSRF token needed.
    bearer = await client.post("/api/v1/tickets", data=form, headers=auth(shop_token))
    assert bearer.status_code == 201


async def test_csrf_token_belongs_to_one_session(client, shop_token):
    first = await web_login(client, shop_token)
    second = await web_login(client, shop_token)
    assert first != second
    form = {"title": "Zmiana logo", "body": "Jak podmienic logo?"}
    stale = await client.post("/api/v1/tickets", data=form, headers={"X-CSRF-Token": first})
    assert stale.status_code == 403


async def test_another_shops_ticket_is_not_found(client, services, shop_token, other_token):
    created = await client.post(
        "/api/v1/tickets",
        headers=auth(other_token),
        data={"title": "Cudze zgloszenie", "body": "Tajne dane Bartka"},
        files=[("files", png())],
    )
    ticket = created.json()
    await agent_reply(services, ticket["id"], "Odpowiedz dla Bartka")
    attachment = ticket["messages"][0]["attachments"][0]["url"]
    await web_login(client, shop_token)
    page = await client.get(f"/panel/tickets/{ticket['id']}")
    assert page.status_code == 404
    assert "Tajne dane" not in page.text
    assert (await client.get(f"/panel/tickets/{ticket['id']}/events")).status_code == 404
    assert (await client.get(attachment)).status_code == 404
    inbox = await client.get("/panel")
    assert "Cudze zgloszenie" not in inbox.text
    assert 'id="badge"' in inbox.text and "hidden>!" in inbox.text  # Bartek's unread is not ours


async def test_cookie_session_reads_the_panel_api_and_its_attachments(client, shop_token):
    csrf = await web_login(client, shop_token)
    created = await client.post(
        "/api/v1/tickets",
        headers={"X-CSRF-Token": csrf},
        data={"title": "Logo sklepu", "body": "Zrzut w zalaczniku"},
        files=[("files", png())],
    )
    url = created.json()["messages"][0]["attachments"][0]["url"]
    image = await client.get(url)
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/png"
    page = await client.get(f"/panel/tickets/{created.json()['id']}")
    assert f'<img src="{url}"' in page.text
    assert csrf_of(page.text) == csrf


def test_tokens_in_old_style_login_urls_stay_out_of_access_logs(runtime, shop_token):
    uvicorn.Config(runtime.app)  # uvicorn (re)configures its loggers: the filter must survive
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/panel/login?token={shop_token}&x=1", "1.1", 401),
        None,
    )
    assert logging.getLogger("uvicorn.access").filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /panel/login?token=***&x=1 HTTP/1.1" 401'
