"""Schemathesis against the live app (real uvicorn on loopback): generated requests for every
operation of the published OpenAPI, never a 500, and every answer as documented: its status,
its content type, its schema."""

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import make_config
from tests.helpers import auth
from tests.platform.support import install_platform_key

pytestmark = pytest.mark.slow  # real processes or load: `make test`, not `make check`

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
UNLIMITED = 1_000_000


@pytest.fixture
def config(database_url, tmp_path):
    limits = {
        "max_new_tickets_per_hour": UNLIMITED,
        "max_messages_per_minute": UNLIMITED,
        "max_reads_per_minute": UNLIMITED,
        "max_failed_auth_per_minute": UNLIMITED,
    }
    return make_config(database_url, tmp_path, panel=limits)


def test_every_operation_answers_as_its_schema_says(live_server, services, shop_token):
    platform = install_platform_key(services)
    shop = auth(shop_token)
    # A ticket and an attachment the generated ids may hit.
    httpx.post(
        f"{live_server.url}/api/v1/tickets",
        headers=shop,
        files=[("files", ("a.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "image/png"))],
        data={"title": "Logo", "body": "Zrzut"},
    )
    schema = schemathesis.openapi.from_url(f"{live_server.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 14
    for operation in operations:
        check_operation(
            operation, live_server.url, platform if "/platform/" in operation.path else shop
        )


def check_operation(operation, url: str, headers: dict[str, str]) -> None:
    @EXAMPLES
    @given(case=operation.as_strategy())
    def conforms(case) -> None:
        case.call_and_validate(base_url=url, headers=headers, checks=CHECKS)

    conforms()
