"""The API as a platform's backend calls it: JSON, multipart, UTF-8 forms, upload tokens, 415,
cursor pages with filters, ETags, per-shop limits with the real wait."""

import io
import json
from urllib.parse import quote

import pytest

from adapters.panel.ratelimit import ShopLimits
from tests.conftest import make_config
from tests.helpers import PDF_MINI, agent_reply, auth, png
from tests.security.envelope import assert_envelope


@pytest.fixture
def config(database_url, tmp_path):
    return make_config(database_url, tmp_path, panel={"max_new_tickets_per_hour": 1000})


async def test_json_create_and_follow_up(client, shop_token):
    created = await client.post(
        "/api/v1/tickets",
        headers=auth(shop_token),
        json={"title": "Płatność", "body": "Klient nie może zapłacić", "order_url": None},
    )
    assert created.status_code == 201, created.text
    ticket = created.json()
    assert ticket["title"] == "Płatność" and ticket["body"] == "Klient nie może zapłacić"
    follow = await client.post(
        f"/api/v1/tickets/{ticket['id']}/messages",
        headers=auth(shop_token),
        json={"body": "Dopisuję szczegóły"},
    )
    assert follow.status_code == 201, follow.text
    assert follow.json()["body"] == "Dopisuję szczegóły"


async def test_a_utf8_form_is_read_as_utf8(client, shop_token):
    raw = "title=Płatność&body=Zażółć gęślą jaźń".encode()
    created = await client.post(
        "/api/v1/tickets",
        headers={**auth(shop_token), "Content-Type": "application/x-www-form-urlencoded"},
        content=raw,
    )
    assert created.status_code == 201, created.text
    assert created.json()["title"] == "Płatność"
    assert created.json()["body"] == "Zażółć gęślą jaźń"
    encoded = f"title={quote('Wysyłka')}&body={quote('Paczkomat nie działa')}"
    again = await client.post(
        "/api/v1/tickets",
        headers={**auth(shop_token), "Content-Type": "application/x-www-form-urlencoded"},
        content=encoded,
    )
    assert again.json()["title"] == "Wysyłka"


@pytest.mark.parametrize(
    ("media", "content"),
    [("text/plain", b"title=x"), ("application/xml", b"<a/>"), (None, b'{"title": "x"}')],
)
async def test_unsupported_content_types_are_415_in_polish(client, shop_token, media, content):
    headers = auth(shop_token) | ({"Content-Type": media} if media else {})
    for url in ("/api/v1/tickets", "/api/v1/tickets/1/messages", "/api/v1/tickets/1/feedback"):
        response = await client.post(url, headers=headers, content=content)
        assert response.status_code == 415, (url, response.text)
        assert "format danych" in assert_envelope(response)["detail"]


async def test_broken_json_is_400_and_wrong_fields_422(client, shop_token):
    broken = await client.post(
        "/api/v1/tickets",
        headers={**auth(shop_token), "Content-Type": "application/json"},
        content=b'{"title": ',
    )
    assert broken.status_code == 400
    assert_envelope(broken)
    missing = await client.post("/api/v1/tickets", headers=auth(shop_token), json={"body": "x"})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "title"
    listed = await client.post("/api/v1/tickets", headers=auth(shop_token), json=["x"])
    assert listed.status_code == 422
    extra = await client.post(
        "/api/v1/tickets", headers=auth(shop_token), json={"title": "a", "body": "b", "x": 1}
    )
    assert extra.status_code == 422


async def test_files_uploaded_first_attach_by_token(client, shop_token, other_token):
    uploaded = await client.post(
        "/api/v1/uploads", headers=auth(shop_token), files={"file": png("ekran.png")}
    )
    assert uploaded.status_code == 201, uploaded.text
    upload = uploaded.json()
    assert upload["content_type"] == "image/png" and upload["filename"] == "ekran.png"
    pdf = await client.post(
        "/api/v1/uploads",
        headers=auth(shop_token),
        files={"file": ("umowa.pdf", io.BytesIO(PDF_MINI), "x/y")},
    )
    created = await client.post(
        "/api/v1/tickets",
        headers=auth(shop_token),
        json={"title": "Logo", "body": "W załączniku", "uploads": [upload["token"]]},
    )
    assert created.status_code == 201, created.text
    (attached,) = created.json()["messages"][0]["attachments"]
    assert attached["filename"] == "ekran.png"
    image = await client.get(attached["url"], headers=auth(shop_token))
    assert image.content.startswith(b"\x89PNG")
    follow = await client.post(
        f"/api/v1/tickets/{created.json()['id']}/messages",
        headers=auth(shop_token),
        data={"body": "I umowa", "uploads": pdf.json()["token"]},
        files=[("files", png("drugi.png"))],
    )
    assert follow.status_code == 201, follow.text
    names = [a["filename"] for a in follow.json()["attachments"]]
    assert names == ["drugi.png", "umowa.pdf"]
    # Another shop cannot use the token; an unknown one is a clear 422 naming `uploads`.
    stolen = await client.post(
        "/api/v1/tickets",
        headers=auth(other_token),
        json={"title": "Cudze", "body": "x", "uploads": [upload["token"]]},
    )
    assert stolen.status_code == 422
    assert stolen.json()["errors"][0]["field"] == "uploads"


async def test_upload_tokens_expire_and_uploads_are_checked(client, shop_token, clock):
    exe = ("zdjecie.png", io.BytesIO(b"MZ\x90\x00" + b"\0" * 100), "image/png")
    refused = await client.post("/api/v1/uploads", headers=auth(shop_token), files={"file": exe})
    assert refused.status_code == 422 and "niedozwolony typ" in refused.json()["detail"]
    as_json = await client.post("/api/v1/uploads", headers=auth(shop_token), json={"file": "x"})
    assert as_json.status_code == 415
    token = (
        await client.post("/api/v1/uploads", headers=auth(shop_token), files={"file": png()})
    ).json()["token"]
    clock.advance(hours=1, seconds=1)
    late = await client.post(
        "/api/v1/tickets",
        headers=auth(shop_token),
        json={"title": "Logo", "body": "x", "uploads": [token]},
    )
    assert late.status_code == 422
    assert "wygasł" in late.json()["detail"]


async def test_cursor_pages_filters_and_updated_since(client, shop_token, clock, services):
    ids = []
    for n in range(5):
        response = await client.post(
            "/api/v1/tickets", headers=auth(shop_token), json={"title": f"Sprawa {n}", "body": "x"}
        )
        ids.append(response.json()["id"])
        clock.advance(minutes=1)
    seen, url = [], "/api/v1/tickets?limit=2"
    while url:
        page = (await client.get(url, headers=auth(shop_token))).json()
        seen += [t["id"] for t in page["tickets"]]
        assert page["has_more"] == (page["next"] is not None)
        url = page["next"]
    assert seen == ids[::-1]

    resolved = (
        await client.get("/api/v1/tickets?status=resolved", headers=auth(shop_token))
    ).json()
    assert resolved["tickets"] == []
    mark = clock.now().isoformat()
    clock.advance(minutes=1)
    await agent_reply(services, ids[1], "Odpowiedź")
    changed = await client.get(
        "/api/v1/tickets", params={"updated_since": mark}, headers=auth(shop_token)
    )
    assert [t["id"] for t in changed.json()["tickets"]] == [ids[1]]
    waiting = await client.get("/api/v1/tickets?status=waiting", headers=auth(shop_token))
    assert [t["id"] for t in waiting.json()["tickets"]] == [ids[1]]
    for bad in ("cursor=xyz", "cursor=" + quote('["nie-data", 1]'), "updated_since=2026-01-01"):
        response = await client.get(f"/api/v1/tickets?{bad}", headers=auth(shop_token))
        assert response.status_code == 422, bad
        assert_envelope(response)


async def test_etags_answer_304_until_something_changes(client, shop_token, services):
    ticket = (
        await client.post(
            "/api/v1/tickets", headers=auth(shop_token), json={"title": "Logo", "body": "x"}
        )
    ).json()
    for url in ("/api/v1/tickets", f"/api/v1/tickets/{ticket['id']}", "/api/v1/unread"):
        first = await client.get(url, headers=auth(shop_token))
        etag = first.headers["etag"]
        same = await client.get(url, headers={**auth(shop_token), "If-None-Match": etag})
        assert same.status_code == 304 and same.content == b"", url
        assert same.headers["etag"] == etag
    unread = await client.get("/api/v1/unread", headers=auth(shop_token))
    await agent_reply(services, ticket["id"], "Dzień dobry")
    changed = await client.get(
        "/api/v1/unread", headers={**auth(shop_token), "If-None-Match": unread.headers["etag"]}
    )
    assert changed.status_code == 200 and changed.json() == {"unread": 1}
    assert changed.headers["etag"] != unread.headers["etag"]


async def test_reads_and_follow_ups_are_limited_per_shop_with_the_real_wait(
    client, runtime, shop_token, other_token, clock, config
):
    runtime.app.state.limits = ShopLimits.from_config(config.panel, timer=clock)
    ticket = (
        await client.post(
            "/api/v1/tickets", headers=auth(shop_token), json={"title": "Logo", "body": "x"}
        )
    ).json()
    url = f"/api/v1/tickets/{ticket['id']}/messages"
    for n in range(config.panel.max_messages_per_minute):
        response = await client.post(url, headers=auth(shop_token), json={"body": f"Dopisek {n}"})
        assert response.status_code == 201
        if n == 0:
            clock.advance(seconds=20)
    refused = await client.post(url, headers=auth(shop_token), json={"body": "Jeszcze"})
    assert refused.status_code == 429
    assert "wiadomości" in assert_envelope(refused)["detail"]
    assert refused.headers["retry-after"] == "40"  # the first follow-up leaves the minute then
    clock.advance(seconds=40)
    assert (
        await client.post(url, headers=auth(shop_token), json={"body": "Już"})
    ).status_code == 201

    for _ in range(config.panel.max_reads_per_minute):
        assert (await client.get("/api/v1/unread", headers=auth(shop_token))).status_code == 200
    read = await client.get("/api/v1/unread", headers=auth(shop_token))
    assert read.status_code == 429 and read.headers["retry-after"] == "60"
    assert (await client.get("/api/v1/unread", headers=auth(other_token))).status_code == 200
    assert json.loads(read.text)["detail"].startswith("Zbyt wiele zapytań")
