"""Fixtures for time-driven tests: a managers' room, an on-call id, Warsaw wall-clock time."""

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import Config
from bot.events import InboundFile
from pomoc.cli import create_shop
from storage import repositories as repo
from storage.models import Shop, Ticket
from tests.conftest import make_config
from tests.helpers import PNG_1X1

WARSAW = ZoneInfo("Europe/Warsaw")
MANAGERS = "!managers:test"
ONCALL = "@dyzurny:test"


def warsaw(*parts: int) -> datetime:
    """A Warsaw wall-clock time as the UTC instant the code sees."""
    return datetime(*parts, tzinfo=WARSAW).astimezone(UTC)


@pytest.fixture
def config(database_url: str, tmp_path: Path) -> Config:
    return make_config(
        database_url,
        tmp_path,
        managers={"platform": "matrix", "channel": MANAGERS},
        matrix={"oncall": ONCALL},
        sla={"realert_minutes": 60},
    )


@pytest.fixture
def shop(services, shop_token: str) -> Shop:
    with services.db.transaction() as session:
        return repo.shop_by_token(session, shop_token)


@pytest.fixture
def other_shop(services, config: Config) -> Shop:
    token = create_shop(config.database.url, "Sklep Celiny")
    with services.db.transaction() as session:
        return repo.shop_by_token(session, token)


@pytest.fixture
def open_ticket(services, shop: Shop):
    """Open a ticket as the shop at the clock's current time."""

    def opener(title: str = "Zmiana logo", body: str = "Jak podmienić logo?", **kwargs):
        opened = services.tickets.open_ticket(
            shop=kwargs.pop("by", shop), title=title, body=body, **kwargs
        )
        with services.db.transaction() as session:  # the row, for fields the shop never sees
            return session.get(Ticket, opened.ticket.id)

    return opener


def png_file(name: str = "zrzut.png") -> InboundFile:
    return InboundFile(filename=name, content_type="image/png", data=PNG_1X1)
