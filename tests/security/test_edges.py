"""Tight edges: a trusted Host only, /metrics behind a token or its own bind, owner-only files."""

import os
import stat

import httpx
import pytest

from bot import texts
from bot.config import Secrets
from storage.files import AttachmentStore
from storage.migrate import upgrade
from tests.helpers import PNG_1X1, auth
from tests.security.envelope import assert_envelope
from tests.security.server import free_port, pomoc_process
from tests.support_db import PG_URL

pytestmark = pytest.mark.slow  # real processes or load: `make test`, not `make check`

METRICS_TOKEN = "m3trics-t0ken-for-the-scraper"


def test_a_spoofed_host_is_refused_and_no_redirect_is_built_from_one(tmp_path, database_url):
    public = {"public_url": "https://pomoc.example.pl", "trusted_hosts": ["pomoc.internal"]}
    with (
        pomoc_process(tmp_path, database_url, server=public) as server,
        httpx.Client(base_url=server.url, follow_redirects=False) as http,
    ):
        for path in ("/panel", "/panel/", "/panel/login", "/api/v1/unread", "/metrics"):
            spoofed = http.get(path, headers={"Host": "evil.example"})
            assert spoofed.status_code == 400, (path, spoofed.text)
            assert assert_envelope(spoofed)["detail"] == texts.BAD_HOST
            assert "location" not in spoofed.headers
        assert http.get("/panel", headers={"Host": "pomoc.example.pl"}).status_code == 401
        assert http.get("/panel", headers={"Host": "POMOC.internal:8443"}).status_code == 401
        # A trailing slash is a plain 404, never a redirect naming whatever Host was sent.
        slash = http.get("/panel/", headers={"Host": "pomoc.example.pl"})
        assert slash.status_code == 404 and "location" not in slash.headers
        # Probes name the instance by its address, and get nothing built from it.
        assert http.get("/healthz", headers={"Host": "10.1.2.3:8000"}).status_code == 200


# Parametrizing `secrets` overrides the conftest fixture for this test alone.
@pytest.mark.parametrize(
    "secrets", [Secrets.from_env({"POMOC_METRICS_TOKEN": METRICS_TOKEN})], ids=["metrics-token"]
)
async def test_metrics_need_their_token(client):
    assert (await client.get("/metrics")).status_code == 401
    assert (await client.get("/metrics", headers=auth("guess"))).status_code == 401
    scraped = await client.get("/metrics", headers=auth(METRICS_TOKEN))
    assert scraped.status_code == 200 and "pomoc_tickets" in scraped.text


async def test_without_a_token_metrics_and_the_cdn_docs_are_not_served(client):
    for path in ("/metrics", "/docs", "/redoc"):
        assert (await client.get(path)).status_code == 404, path
    # The machine-readable spec stays: the platform's engineers and tests read it.
    assert (await client.get("/openapi.json")).status_code == 200


def test_metrics_on_their_own_address_and_not_on_the_public_one(tmp_path, database_url):
    port = free_port()
    bind = {"metrics_address": f"127.0.0.1:{port}"}
    with pomoc_process(tmp_path, database_url, server=bind) as server:
        assert httpx.get(f"{server.url}/metrics").status_code == 404
        scraped = httpx.get(f"http://127.0.0.1:{port}/metrics")
        assert scraped.status_code == 200 and "pomoc_outbox_items" in scraped.text


def test_the_database_file_and_attachments_are_readable_by_the_owner_only(tmp_path):
    previous = os.umask(0o022)  # the usual umask, which would leave them world-readable
    try:
        if not PG_URL:
            database = tmp_path / "var" / "pomoc.db"
            upgrade(f"sqlite:///{database}")
            assert stat.S_IMODE(database.stat().st_mode) == 0o600
        store = AttachmentStore(tmp_path / "var" / "attachments")
        key, _ = store.save(PNG_1X1)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(store.directory.stat().st_mode) == 0o700
    assert stat.S_IMODE(store.path(key).parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(store.path(key).stat().st_mode) == 0o600


def test_a_database_file_from_before_keeps_its_owners_choice(tmp_path):
    """Pomoc makes what it creates owner-only; a file the operator set up is left as it is."""
    database = tmp_path / "pomoc.db"
    database.touch()
    database.chmod(0o640)
    upgrade(f"sqlite:///{database}")
    assert stat.S_IMODE(database.stat().st_mode) == 0o640
