"""Slack fixtures: the fake Web API, a runtime with the real Slack adapter, signed requests."""

import contextlib
import json
import time
from collections.abc import AsyncIterator
from itertools import count
from pathlib import Path
from urllib.parse import quote, urlencode

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier

from bot.config import Secrets
from pomoc.cli import create_shop
from pomoc.runtime import Runtime, build_core
from storage import repositories as repo
from tests.conftest import make_config
from tests.fakes.slack_api import FakeSlack
from tests.fakes.triage import KeywordTriager
from tests.helpers import auth

SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-test-token"
SUPPORT = "CSUPPORT"
PAYMENTS = "CPAYMENTS"
ANNA = "UANNA"
BASIA = "UBASIA"
_ids = count(1)


def slack_secrets() -> Secrets:
    return Secrets.from_env(
        {
            "POMOC_SECRET_KEY": "k" * 32,
            "POMOC_SLACK_BOT_TOKEN": BOT_TOKEN,
            "POMOC_SLACK_SIGNING_SECRET": SECRET,
            "POMOC_SLACK_APP_TOKEN": APP_TOKEN,
        }
    )


def slack_runtime(
    database_url: str,
    tmp_path: Path,
    clock,
    fake: FakeSlack,
    *,
    relay_mode: str = "all",
    managers: dict | None = None,
    **slack: object,
) -> Runtime:
    config = make_config(
        database_url,
        tmp_path,
        departments={
            "payments": {"platform": "slack", "channel": PAYMENTS, "relay_mode": relay_mode},
            "other": {"platform": "slack", "channel": SUPPORT, "relay_mode": relay_mode},
        },
        slack={"enabled": True, "api_base_url": fake.api_url, "interval": 0.0, **slack},
        managers=managers or {},
    )
    services = build_core(
        config, slack_secrets(), clock=clock, triager=KeywordTriager(), migrate=False
    )
    runtime = Runtime(services)
    # Handled before the answer however loaded the machine is, so a test reads the outcome right
    # after sending; the answer-first path has its own tests (test_answers.py).
    runtime.adapters["slack"].intake.ack_within = 60.0
    return runtime


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    slack = FakeSlack()
    await slack.start()
    slack.add_user(ANNA, "Anna Nowak")
    slack.add_user(BASIA, "Basia Kowalska")
    yield slack
    await slack.stop()


@pytest.fixture
async def runtime(database_url, tmp_path, clock, fake) -> AsyncIterator[Runtime]:
    rt = slack_runtime(database_url, tmp_path, clock, fake)
    adapter = rt.adapters["slack"]
    await adapter.start(rt.core.desk.handle)
    yield rt
    await adapter.stop()
    rt.core.db.dispose()


@pytest.fixture
def services(runtime):
    return runtime.core


@pytest.fixture
def shop_token(runtime) -> str:
    return create_shop(runtime.core.config.database.url, "Sklep Ani")


@pytest.fixture
async def http(runtime) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=runtime.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://pomoc") as client:
        yield client


@pytest.fixture
def shop_token_factory():
    """For tests that build their own runtime: (HTTP client on its app, a shop's token)."""

    @contextlib.asynccontextmanager
    async def make(rt: Runtime) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
        token = create_shop(rt.core.config.database.url, "Sklep Ani")
        transport = httpx.ASGITransport(app=rt.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://pomoc") as client:
            yield client, token

    return make


# -- signed Slack requests ---------------------------------------------------------------------


def signed_headers(
    body: str, *, secret: str = SECRET, timestamp: int | None = None, content_type: str
) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {
        "content-type": content_type,
        "x-slack-request-timestamp": ts,
        "x-slack-signature": signature,
    }


async def send_event(
    http: httpx.AsyncClient, event: dict, *, event_id: str | None = None, **options
) -> httpx.Response:
    body = json.dumps(
        {
            "token": "legacy",
            "team_id": "T1",
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(_ids):08d}",
            "event_time": int(time.time()),
            "event": event,
            "authorizations": [{"team_id": "T1", "user_id": "UBOT", "is_bot": True}],
        }
    )
    extra = options.pop("headers", {})
    headers = signed_headers(body, content_type="application/json", **options)
    return await http.post("/slack/events", content=body, headers={**headers, **extra})


async def send_form(http: httpx.AsyncClient, form: str, **options) -> httpx.Response:
    headers = signed_headers(form, content_type="application/x-www-form-urlencoded", **options)
    return await http.post("/slack/events", content=form, headers=headers)


async def click(
    http: httpx.AsyncClient, fake: FakeSlack, action_id: str, ticket_id: int, *, user: str = ANNA
) -> httpx.Response:
    n = next(_ids)
    payload = {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": user, "name": "anna"},
        "api_app_id": "A1",
        "token": "legacy",
        "trigger_id": f"trigger{n}",
        "channel": {"id": SUPPORT, "name": "support"},
        "container": {"type": "message", "channel_id": SUPPORT, "message_ts": "1.0"},
        "response_url": f"{fake.url}respond/action{n}",
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": f"pomoc_ticket_{ticket_id}",
                "value": str(ticket_id),
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    return await send_form(http, "payload=" + quote(json.dumps(payload)))


async def slash(
    http: httpx.AsyncClient, fake: FakeSlack, text: str, *, user: str = ANNA
) -> httpx.Response:
    n = next(_ids)
    form = urlencode(
        {
            "token": "legacy",
            "team_id": "T1",
            "channel_id": SUPPORT,
            "user_id": user,
            "user_name": "anna",
            "command": "/pomoc",
            "text": text,
            "api_app_id": "A1",
            "response_url": f"{fake.url}respond/cmd{n}",
            "trigger_id": f"cmdtrigger{n}",
        }
    )
    return await send_form(http, form)


async def reply_shortcut(
    http: httpx.AsyncClient, fake: FakeSlack, message: dict, *, user: str = ANNA
) -> httpx.Response:
    """The "send to the shop" message shortcut, used on `message` (a thread reply event)."""
    n = next(_ids)
    payload = {
        "type": "message_action",
        "callback_id": "pomoc_reply",
        "team": {"id": "T1"},
        "user": {"id": user, "name": "anna"},
        "channel": {"id": message["channel"], "name": "support"},
        "token": "legacy",
        "trigger_id": f"shortcut{n}",
        "action_ts": f"{time.time():.6f}",
        "message_ts": message["ts"],
        "message": {k: v for k, v in message.items() if k != "channel"},
        "response_url": f"{fake.url}respond/shortcut{n}",
    }
    return await send_form(http, "payload=" + quote(json.dumps(payload)))


def reply_event(
    thread_ts: str, text: str, *, user: str = ANNA, channel: str = SUPPORT, **extra
) -> dict:
    ts = f"{1764400000 + next(_ids)}.000100"
    return {
        "type": "message",
        "channel": channel,
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "thread_ts": thread_ts,
        "channel_type": "channel",
        **extra,
    }


# -- the shop side -------------------------------------------------------------------------------


async def open_ticket(
    http: httpx.AsyncClient, token: str, title: str = "Szablon sklepu", body: str = "Pytanie"
) -> dict:
    response = await http.post(
        "/api/v1/tickets", headers=auth(token), data={"title": title, "body": body}
    )
    assert response.status_code == 201, response.text
    return response.json()


async def opened_thread(runtime, http, token: str, **kwargs) -> tuple[int, str]:
    """A ticket whose root message is in Slack: (ticket id, thread ts)."""
    ticket = await open_ticket(http, token, **kwargs)
    await runtime.dispatcher.deliver_once()
    with runtime.core.db.transaction() as session:
        link = repo.thread_for_ticket(session, ticket["id"])
    assert link is not None and link.platform == "slack"
    return ticket["id"], link.thread_id


async def panel_messages(http: httpx.AsyncClient, token: str, ticket_id: int) -> list[dict]:
    response = await http.get(f"/api/v1/tickets/{ticket_id}", headers=auth(token))
    return response.json()["messages"]
