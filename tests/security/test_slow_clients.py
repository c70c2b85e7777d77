"""Slow and idle clients against `pomoc run`: idle, half-header and half-body connections end."""

# Before: 300 of 300 such connections were still open after 15 s (uvicorn bounds only the idle
# time between two requests). Now the head has `header_timeout`, a body `body_timeout` of
# silence, heads have a size limit, and connections a cap checked when one is accepted.

import select
import socket
import time

import httpx
import pytest

from pomoc.cli import create_shop
from tests.security.server import pomoc_process

pytestmark = pytest.mark.slow  # real processes or load: `make test`, not `make check`

EACH = 100
HEADER_TIMEOUT = 1.0
BODY_TIMEOUT = 1.0


def closed_by_server(sockets: list[socket.socket], *, within: float) -> tuple[int, list[bytes]]:
    """How many of `sockets` the server closed within `within` seconds, and what it said."""
    open_ = {sock.fileno(): sock for sock in sockets}
    said: dict[int, bytes] = {fd: b"" for fd in open_}
    deadline = time.monotonic() + within
    while open_ and (left := deadline - time.monotonic()) > 0:
        readable, _, _ = select.select(list(open_.values()), [], [], left)
        for sock in readable:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if chunk:
                said[sock.fileno()] += chunk
            else:
                open_.pop(sock.fileno())
    return len(sockets) - len(open_), [said[s.fileno()] for s in sockets]


def status_line(answer: bytes) -> bytes:
    return answer.split(b"\r\n", 1)[0]


@pytest.fixture
def server(tmp_path, database_url):
    limits = {"header_timeout": HEADER_TIMEOUT, "body_timeout": BODY_TIMEOUT}
    with pomoc_process(tmp_path, database_url, server=limits) as process:
        process.token = create_shop(database_url, "Sklep Ani")
        yield process


def test_idle_half_header_and_half_body_connections_are_closed(server):
    idle = [server.connect() for _ in range(EACH)]
    half_header = [server.connect() for _ in range(EACH)]
    for sock in half_header:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Wait: ")
    half_body = [server.connect() for _ in range(EACH)]
    for sock in half_body:
        sock.sendall(
            b"POST /api/v1/tickets HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Authorization: Bearer " + server.token.encode() + b"\r\n"
            b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
            b'{"title": "Lo'
        )
    began = time.monotonic()
    # Meanwhile the server answers everyone else at once.
    assert httpx.get(f"{server.url}/healthz", timeout=2).status_code == 200
    everyone = idle + half_header + half_body
    closed, answers = closed_by_server(everyone, within=HEADER_TIMEOUT + BODY_TIMEOUT + 3)
    took = time.monotonic() - began
    for sock in everyone:
        sock.close()
    assert closed == 3 * EACH, f"{closed} of {3 * EACH} closed after {took:.1f} s"
    # A connection that got as far as a request is told why it ends (408, in the envelope).
    for answer in answers[EACH:]:
        assert status_line(answer) == b"HTTP/1.1 408 Request Timeout", answer
        assert "zbyt długo".encode() in answer
    assert httpx.get(f"{server.url}/healthz", timeout=2).status_code == 200


def test_a_head_trickled_byte_by_byte_still_meets_its_deadline(server):
    sock = server.connect()
    began = time.monotonic()
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Slow: " + b"a" * 100
    try:
        for byte in request:
            sock.sendall(bytes([byte]))
            time.sleep(0.05)
    except (BrokenPipeError, ConnectionResetError):
        pass  # closed on us mid-trickle: what the test wants
    closed, answers = closed_by_server([sock], within=HEADER_TIMEOUT + 2)
    sock.close()
    assert closed == 1 and time.monotonic() - began < HEADER_TIMEOUT + 2.5
    assert status_line(answers[0]) in (b"HTTP/1.1 408 Request Timeout", b""), answers


def test_an_endless_head_is_refused_at_its_size_limit(server):
    sock = server.connect()
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    try:
        for _ in range(40):  # 160 KB of headers
            sock.sendall(b"X-Filler: " + b"a" * 4000 + b"\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    closed, answers = closed_by_server([sock], within=2)
    sock.close()
    assert closed == 1
    assert status_line(answers[0]) == b"HTTP/1.1 431 Request Header Fields Too Large", answers


def test_connections_past_the_cap_are_closed_at_once(tmp_path, database_url):
    cap = 40
    limits = {"max_connections": cap, "header_timeout": 30.0}
    with pomoc_process(tmp_path, database_url, server=limits) as server:
        held = [server.connect() for _ in range(cap + 30)]
        # The header deadline is far away: only the cap can close these now.
        closed, _ = closed_by_server(held, within=1.5)
        assert 30 <= closed <= 31, closed  # the process's own health check may hold one slot
        for sock in held:
            sock.close()
        deadline = time.monotonic() + 5
        while True:  # the slots come back as the server notices the closes
            try:
                if httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                assert time.monotonic() < deadline
            time.sleep(0.1)
