"""Property-based fuzzing of the panel API: never a 500, every refusal our Polish JSON envelope."""

# Property-based fuzzing of the panel API: whatever a client sends, never a 500, and every refusal
# is our JSON envelope with a Polish message.

import json
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import make_config
from tests.helpers import PDF_MINI, PNG_1X1, auth
from tests.security.envelope import assert_envelope
from tests.security.spec import operations

FUZZ = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Lone surrogates cannot travel as UTF-8, so no client can send them.
CHARS = st.characters(exclude_categories=("Cs",))
NASTY = [
    "",
    " ",
    "\x00",
    "\r\n\r\n",
    "\u202e\u200b\ufeff",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "%s%n{0}",
    "🦄" * 50,
    "ą" * 121,
    "słowo " * 7,
]
TEXT = st.one_of(
    st.text(CHARS, max_size=200),
    st.sampled_from(NASTY),
    # Huge strings, past every limit (form, validation, columns).
    st.builds(lambda s, n: s * n, st.text(CHARS, min_size=1, max_size=3), st.integers(1, 25_000)),
)
URLS = st.one_of(st.none(), TEXT, st.from_regex(r"\Ahttps?://[a-z0-9./?=&%#-]{1,3000}\Z"))
MAGIC = [b"", PNG_1X1, PDF_MINI, b"\xff\xd8\xff", b"MZ", b"\x7fELF", b"GIF89a", b"<svg"]
FILE_BYTES = st.builds(
    lambda head, tail: head + tail, st.sampled_from(MAGIC), st.binary(max_size=3000)
)
FILES = st.lists(
    st.tuples(
        st.text(CHARS.filter(lambda c: c not in '\r\n"\\'), max_size=80),
        FILE_BYTES,
        st.sampled_from(["image/png", "application/pdf", "text/html", "application/x-msdownload"]),
    ),
    max_size=3,
)
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(CHARS, max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
IDS = st.one_of(
    st.integers(-(2**70), 2**70),
    st.text(CHARS, min_size=1, max_size=30).map(lambda s: quote(s, safe="")),
)
MEDIA = ["multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "application/json"]


@pytest.fixture
def config(database_url, tmp_path):
    # Fuzzing sends hundreds of tickets and messages: the limits have their own tests.
    limits = {"max_new_tickets_per_hour": 1_000_000, "max_messages_per_minute": 1_000_000}
    return make_config(database_url, tmp_path, panel={**limits, "max_reads_per_minute": 1_000_000})


@pytest.fixture
async def ticket(client, shop_token) -> dict:
    response = await client.post(
        "/api/v1/tickets", headers=auth(shop_token), data={"title": "Blad p24", "body": "Pomocy"}
    )
    return response.json()


def checked(response) -> None:
    assert response.status_code < 500, response.text[:500]
    if response.status_code >= 400:
        assert_envelope(response)


@FUZZ
@given(title=TEXT, body=TEXT, order_url=URLS, files=FILES)
async def test_create_ticket_never_fails_on_any_input(
    client, shop_token, title, body, order_url, files
):
    data = {"title": title, "body": body}
    if order_url is not None:
        data["order_url"] = order_url
    response = await client.post(
        "/api/v1/tickets",
        headers=auth(shop_token),
        data=data,
        files=[("files", file) for file in files] or None,
    )
    checked(response)
    assert response.status_code in (201, 413, 422), response.text[:300]
    if response.status_code == 201:
        created = response.json()
        assert created["title"].isprintable() and len(created["title"]) <= 120
        assert "\x00" not in created["body"]


@FUZZ
@given(body=TEXT, files=FILES)
async def test_follow_up_never_fails_on_any_input(client, shop_token, ticket, body, files):
    response = await client.post(
        f"/api/v1/tickets/{ticket['id']}/messages",
        headers=auth(shop_token),
        data={"body": body},
        files=[("files", file) for file in files] or None,
    )
    checked(response)
    assert response.status_code in (201, 413, 422), response.text[:300]


@FUZZ
@given(answer=JSON)
async def test_feedback_never_fails_on_any_json(client, shop_token, ticket, answer):
    response = await client.post(
        f"/api/v1/tickets/{ticket['id']}/feedback", headers=auth(shop_token), json=answer
    )
    checked(response)


@FUZZ
@given(
    data=st.data(),
    raw=st.binary(max_size=2000),
    media=st.sampled_from(MEDIA),
    suffix=st.sampled_from(["", "/", "/x", "/../unread", "?limit=0&offset=-1", "?limit=abc"]),
)
async def test_every_endpoint_survives_random_ids_and_raw_bodies(
    client, shop_token, data, raw, media, suffix
):
    spec = operations((await client.get("/openapi.json")).json())
    op = data.draw(st.sampled_from(spec))
    url = op.path.format(**{name: data.draw(IDS) for name in op.params}) + suffix
    method = data.draw(st.sampled_from([op.method, "put", "delete", "patch"]))
    response = await client.request(
        method, url, headers={**auth(shop_token), "Content-Type": media}, content=raw
    )
    checked(response)


@FUZZ
@given(query=st.dictionaries(st.sampled_from(["limit", "offset"]), IDS, max_size=2))
async def test_listing_survives_any_paging(client, shop_token, query):
    response = await client.get("/api/v1/tickets", headers=auth(shop_token), params=query)
    checked(response)
    if response.status_code == 200:
        assert json.loads(response.text)["unread"] >= 0


@pytest.mark.parametrize("row_id", [0, -1, 2**31 - 1, 2**31, 2**63, 2**70])
async def test_ids_out_of_any_column_range_are_refused_not_crashed(client, shop_token, row_id):
    spec = operations((await client.get("/openapi.json")).json())
    for op in (op for op in spec if op.params & {"ticket_id", "attachment_id"}):
        url = op.path.format(**dict.fromkeys(op.params, row_id))
        response = await client.request(op.method, url, headers=auth(shop_token), **op.request())
        assert response.status_code in (404, 422), (op.method, url, response.text)
        assert_envelope(response)
