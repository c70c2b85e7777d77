"""The platform API: one platform key provisions shops by their own ids, acts for them, rotates
their tokens, (de)activates them and opens their inboxes with single-use links."""

from urllib.parse import urlsplit

import pytest
from typer.testing import CliRunner

from bot.config import Secrets
from bot.shops import link_signature
from pomoc.cli import app as cli
from tests.helpers import auth
from tests.platform.support import install_platform_key, same_origin
from tests.security.envelope import assert_envelope

LOGIN_LINK_SECRET = "shared-login-secret"


@pytest.fixture
def secrets():
    """The secret the platform signs its own login links with."""
    return Secrets.from_env({"POMOC_LOGIN_LINK_SECRET": LOGIN_LINK_SECRET})


async def put_shop(client, key, external_id="ext-1", name="Sklep Platformy", plan="start"):
    return await client.put(
        f"/api/v1/platform/shops/{external_id}", headers=key, json={"name": name, "plan": plan}
    )


async def test_upsert_by_the_platforms_id_and_act_for_the_shop(client, services):
    key = install_platform_key(services)
    created = await put_shop(client, key)
    assert created.status_code == 201, created.text
    assert created.json() | {"id": 0, "created_at": ""} == {
        "id": 0,
        "external_id": "ext-1",
        "name": "Sklep Platformy",
        "plan": "start",
        "active": True,
        "created_at": "",
    }
    renamed = await put_shop(client, key, name="Nowa nazwa", plan="pro")
    assert renamed.status_code == 200 and renamed.json()["plan"] == "pro"
    assert renamed.json()["id"] == created.json()["id"]

    acting = {**key, "Pomoc-Shop": "ext-1"}
    ticket = await client.post(
        "/api/v1/tickets", headers=acting, json={"title": "Logo", "body": "Jak zmienić?"}
    )
    assert ticket.status_code == 201, ticket.text
    listed = await client.get("/api/v1/tickets", headers=acting)
    assert [t["id"] for t in listed.json()["tickets"]] == [ticket.json()["id"]]
    unknown = await client.get("/api/v1/tickets", headers={**key, "Pomoc-Shop": "nie-ma"})
    assert unknown.status_code == 404
    missing = await client.get("/api/v1/tickets", headers=key)
    assert missing.status_code == 400 and "Pomoc-Shop" in assert_envelope(missing)["detail"]


async def test_shop_tokens_cannot_manage_shops(client, services, shop_token):
    install_platform_key(services)
    refused = await client.put(
        "/api/v1/platform/shops/x", headers=auth(shop_token), json={"name": "Przejęty"}
    )
    assert refused.status_code == 403
    assert_envelope(refused)
    nobody = await client.post("/api/v1/platform/shops/x/token")
    assert nobody.status_code == 401


async def test_rotating_ends_the_old_token_and_its_sessions(client, services):
    key = install_platform_key(services)
    await put_shop(client, key)
    token = (await client.post("/api/v1/platform/shops/ext-1/token", headers=key)).json()["token"]
    assert (await client.get("/api/v1/unread", headers=auth(token))).status_code == 200
    await client.post("/panel/login", data={"token": token}, headers=same_origin(client))
    assert (await client.get("/panel")).status_code == 200

    rotated = (await client.post("/api/v1/platform/shops/ext-1/token", headers=key)).json()
    # At once on this instance (the cache forgets it); other instances within the cache's seconds.
    assert (await client.get("/api/v1/unread", headers=auth(token))).status_code == 401
    assert (await client.get("/api/v1/unread", headers=auth(rotated["token"]))).status_code == 200
    assert (await client.get("/panel")).status_code == 401  # the session ended with the token


async def test_deactivate_locks_out_and_activate_lets_in(client, services):
    key = install_platform_key(services)
    await put_shop(client, key)
    token = (await client.post("/api/v1/platform/shops/ext-1/token", headers=key)).json()["token"]
    off = await client.post("/api/v1/platform/shops/ext-1/deactivate", headers=key)
    assert off.json()["active"] is False
    assert (await client.get("/api/v1/unread", headers=auth(token))).status_code == 401
    acting = {**key, "Pomoc-Shop": "ext-1"}
    assert (await client.get("/api/v1/unread", headers=acting)).status_code == 404
    assert (
        await client.post("/api/v1/platform/shops/ext-1/login-links", headers=key)
    ).status_code == 409
    on = await client.post("/api/v1/platform/shops/ext-1/activate", headers=key)
    assert on.json()["active"] is True
    # (The token itself is back once the failed-auth gate forgets its 401, within a minute.)
    assert (await client.get("/api/v1/unread", headers=acting)).status_code == 200
    link = await client.post("/api/v1/platform/shops/ext-1/login-links", headers=key)
    assert link.status_code == 201


async def test_a_login_link_from_the_platform_opens_the_inbox_once(client, services, clock):
    key = install_platform_key(services)
    await put_shop(client, key)
    answer = await client.post("/api/v1/platform/shops/ext-1/login-links", headers=key)
    assert answer.status_code == 201, answer.text
    url = urlsplit(answer.json()["url"])
    assert url.path == "/panel/login" and url.query == ""  # the secret is only after "#"
    headers = same_origin(client)
    opened = await client.post("/panel/login/link", json={"link": url.fragment}, headers=headers)
    assert opened.status_code == 200
    assert "Sklep Platformy" in (await client.get("/panel")).text
    client.cookies.clear()
    again = await client.post("/panel/login/link", json={"link": url.fragment}, headers=headers)
    assert again.status_code == 401


async def test_links_the_platform_signs_itself(client, services, clock):
    secret = LOGIN_LINK_SECRET
    key = install_platform_key(services)
    await put_shop(client, key)
    expires = int(clock.now().timestamp()) + 60
    nonce = "n0nce-abcdefghijklmnop"
    signature = link_signature(secret, external_id="ext-1", expires=expires, nonce=nonce)
    link = f"shop=ext-1&expires={expires}&nonce={nonce}&signature={signature}"
    headers = same_origin(client)
    assert (
        await client.post("/panel/login/link", json={"link": link}, headers=headers)
    ).status_code == 200
    client.cookies.clear()
    replay = await client.post("/panel/login/link", json={"link": link}, headers=headers)
    assert replay.status_code == 401  # the nonce is used up
    forged = link.replace("ext-1", "ext-2", 1)
    assert (
        await client.post("/panel/login/link", json={"link": forged}, headers=headers)
    ).status_code == 401
    late = int(clock.now().timestamp()) + 3600  # longer than a link may live
    far = f"shop=ext-1&expires={late}&nonce={nonce}x&signature=" + link_signature(
        secret, external_id="ext-1", expires=late, nonce=nonce + "x"
    )
    assert (
        await client.post("/panel/login/link", json={"link": far}, headers=headers)
    ).status_code == 401


def test_cli_mirrors_rotate_deactivate_activate_and_platform_key(config, tmp_path, shop_token):
    path = tmp_path / "cli.toml"
    path.write_text(f'[database]\nurl = "{config.database.url}"\n')
    runner = CliRunner()
    rotated = runner.invoke(cli, ["shops", "rotate", "Sklep Ani", "--config", str(path)])
    assert rotated.exit_code == 0, rotated.output
    new_token = rotated.output.strip()
    assert new_token and new_token != shop_token
    off = runner.invoke(cli, ["shops", "deactivate", "1", "--config", str(path)])
    assert off.exit_code == 0 and "inactive" in off.output
    on = runner.invoke(cli, ["shops", "activate", "Sklep Ani", "--config", str(path)])
    assert on.exit_code == 0 and "\tactive" in on.output
    unknown = runner.invoke(cli, ["shops", "rotate", "Nie ma", "--config", str(path)])
    assert unknown.exit_code == 1
    link = runner.invoke(cli, ["shops", "login-link", "Sklep Ani", "--config", str(path)])
    assert "/panel/login#link=" in link.output
    key = runner.invoke(cli, ["platform", "key", "--config", str(path)])
    assert key.exit_code == 0 and len(key.output.strip()) >= 40
