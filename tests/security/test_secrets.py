"""No secret reaches a log line, and the reprs of their holders hide them."""

# No secret reaches a log line: shop tokens, POMOC_* values and the database password stay out of
# every record at DEBUG (SQL echo included), and their holders' reprs hide them.

import logging

import httpx
import pytest
from sqlalchemy.engine import make_url

from bot.config import Secrets
from bot.errors import DeliveryError
from pomoc.cli import create_shop
from pomoc.runtime import Runtime, build_core
from tests.conftest import make_config
from tests.fakes.chat import FakeChat
from tests.fakes.triage import KeywordTriager
from tests.helpers import auth

ENV = {
    "POMOC_SECRET_KEY": "sk-f3b1c9e2-secret-key",
    "POMOC_SLACK_BOT_TOKEN": "xoxb-1111-2222-botTOKENvalue",
    "POMOC_SLACK_SIGNING_SECRET": "8f14e45fceea167a5a36dedd4bea2543",
    "POMOC_SLACK_APP_TOKEN": "xapp-1-A111-appTOKENvalue",
    "POMOC_MATRIX_ACCESS_TOKEN": "syt_cG9tb2M_accessTOKENvalue",
    "POMOC_MATRIX_PASSWORD": "hunter2-matrix-password",
}
DB_PASSWORD = "pg-Pa55word-never-logged"


@pytest.fixture
def secret_url(database_url) -> str:
    """The test database, reached with a password where the backend takes one (trust auth
    accepts and ignores it on PostgreSQL)."""
    parsed = make_url(database_url)
    if parsed.get_backend_name() != "postgresql":
        return database_url
    return parsed.set(password=DB_PASSWORD).render_as_string(hide_password=False)


def records_text(caplog) -> str:
    parts = [caplog.text]
    for record in caplog.records:
        parts += [record.getMessage(), repr(record.args), repr(record.__dict__)]
    return "\n".join(parts)


async def test_no_secret_in_any_log_record_at_debug(secret_url, tmp_path, clock, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")  # it defaults itself to WARNING
    config = make_config(secret_url, tmp_path)
    secrets = Secrets.from_env(ENV)
    services = build_core(config, secrets, clock=clock, triager=KeywordTriager())
    chat = FakeChat("matrix")
    runtime = Runtime(services, adapters={"matrix": chat})
    tokens = [create_shop(secret_url, "Sklep Logow"), create_shop(secret_url, "Sklep Drugi")]
    transport = httpx.ASGITransport(app=runtime.app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://panel") as client:
            for token in tokens:
                created = await client.post(
                    "/api/v1/tickets",
                    headers=auth(token),
                    data={"title": "Zmiana logo", "body": "Jak?"},
                )
                assert created.status_code == 201, created.text
                await client.get("/api/v1/tickets", headers=auth(token))
                await client.post("/api/v1/tickets", headers=auth(token), data={"title": ""})
            await client.get("/api/v1/unread", headers=auth(tokens[0][::-1]))  # a wrong token
        # Failed and crashed deliveries log too.
        chat.fail_next = [DeliveryError("rate limited", retry_after=1), RuntimeError("boom")]
        await runtime.dispatcher.deliver_once()
        clock.advance(minutes=5)
        await runtime.dispatcher.deliver_once()
        clock.advance(minutes=5)
        await runtime.dispatcher.deliver_once()
        logging.getLogger("test").debug("services: %s %r", services.ctx.secrets, services)
    finally:
        services.db.dispose()

    assert len(chat.threads) == 2
    logged = records_text(caplog)
    assert "SELECT" in logged and "delivery" in logged  # DEBUG really was on
    for value in [*ENV.values(), *tokens, tokens[0][::-1], DB_PASSWORD]:
        assert value not in logged, f"a secret leaked into the logs: {value[:6]}…"


def test_secrets_and_config_reprs_hide_values(secret_url, tmp_path):
    secrets = Secrets.from_env(ENV)
    config = make_config(secret_url, tmp_path)
    shown = f"{secrets!r} {secrets!s} {secrets} {config!r} {config!s}"
    for value in [*ENV.values(), DB_PASSWORD]:
        assert value not in shown
