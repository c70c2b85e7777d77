"""Reliability fixtures: the PostgreSQL-only marker and separate engines per "instance"."""

import pytest
from sqlalchemy.engine import make_url

from tests.support_db import PG_URL

pg_only = [
    pytest.mark.postgres,
    pytest.mark.skipif(not PG_URL, reason="needs POMOC_TEST_DATABASE_URL (PostgreSQL)"),
]
CHAOS_APP = "pomoc_chaos"


def tagged(url: str) -> str:
    """The URL with an application_name, so a test can kill exactly these connections."""
    parsed = make_url(url)
    return parsed.update_query_dict({"application_name": CHAOS_APP}).render_as_string(
        hide_password=False
    )
