"""Shared fixtures: a migrated database, a fake clock, the real service and HTTP app."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from bot.config import Config, Secrets, parse_config
from pomoc.cli import create_shop
from pomoc.runtime import Runtime, build_core
from tests.fakes.chat import FakeChat
from tests.fakes.clock import FakeClock
from tests.fakes.triage import KeywordTriager
from tests.support_db import PG_URL, PostgresDatabases, SqliteDatabases


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark what a test needs from the machine, so `-m "not synapse"` deselects it cleanly."""
    for item in items:
        needs = set(getattr(item, "fixturenames", ()))
        if "homeserver" in needs:
            item.add_marker(pytest.mark.synapse)
        if "browser" in needs:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    pool = PostgresDatabases(PG_URL) if PG_URL else SqliteDatabases(tmp_path_factory.mktemp("db"))
    yield pool
    pool.drop()


@pytest.fixture
def database_url(databases) -> str:
    return databases.fresh()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_config(database_url: str, tmp_path: Path, **sections: dict) -> Config:
    data = {
        "database": {"url": database_url},
        "attachments": {"directory": str(tmp_path / "files"), "max_bytes": 1024 * 1024},
        "departments": {
            "payments": {"platform": "matrix", "channel": "!payments:test"},
            "other": {"platform": "matrix", "channel": "!support:test"},
        },
        "triage": {"deflection_window_minutes": 10},
        # The in-process clients' base URLs (http://panel, http://pomoc): a Host is checked.
        "server": {"trusted_hosts": ["panel", "pomoc"]},
    }
    for name, values in sections.items():
        data[name] = {**data.get(name, {}), **values}
    return parse_config(data)


@pytest.fixture
def config(database_url: str, tmp_path: Path) -> Config:
    return make_config(database_url, tmp_path)


@pytest.fixture
def secrets() -> Secrets:
    """No secrets set; a module that needs some overrides this fixture alone."""
    return Secrets.from_env({})


@pytest.fixture
def services(config: Config, secrets: Secrets, clock: FakeClock):
    svc = build_core(config, secrets, clock=clock, triager=KeywordTriager(), migrate=False)
    yield svc
    svc.db.dispose()


@pytest.fixture
def chat() -> FakeChat:
    return FakeChat("matrix")


@pytest.fixture
def runtime(services, chat: FakeChat) -> Runtime:
    return Runtime(services, adapters={"matrix": chat})


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=runtime.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://panel") as http:
        yield http


@pytest.fixture
def shop_token(config: Config) -> str:
    return create_shop(config.database.url, "Sklep Ani")


@pytest.fixture
def other_token(config: Config) -> str:
    return create_shop(config.database.url, "Sklep Bartka")
