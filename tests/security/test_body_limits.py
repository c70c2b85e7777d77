"""Limits before parsing, against `pomoc run`: oversized bodies with and without credentials."""

# An unauthenticated 54 MB JSON body used to be read and parsed before its 401: +370-540 MB of
# memory and /healthz frozen for over a second. Each test here measures the server process's
# resident memory and a concurrent /healthz prober while the bodies go in.

import asyncio
import json
import subprocess
import sys
import time

import aiohttp
import pytest
from slack_sdk.signature import SignatureVerifier

from benchmarks.panel_load import SlackInBackground
from pomoc.cli import create_shop
from tests.security.server import REPO, pomoc_process

pytestmark = pytest.mark.slow  # real processes or load: `make test`, not `make check`

BIG = 54 * 1000 * 1000
SIGNING_SECRET = "body-limits-signing-secret"
SLACK_ENV = {"POMOC_SLACK_BOT_TOKEN": "xoxb-limits", "POMOC_SLACK_SIGNING_SECRET": SIGNING_SECRET}


@pytest.fixture
def server(tmp_path, database_url):
    # Slack's Web API (the fake, on a loop of its own): /slack/events answers once the bot's
    # token is verified.
    with SlackInBackground() as slack:
        options = {"enabled": True, "api_base_url": slack.fake.api_url}
        with pomoc_process(tmp_path, database_url, env=SLACK_ENV, slack=options) as process:
            process.token = create_shop(database_url, "Sklep Ani")
            yield process


class Probe:
    """/healthz every 10 ms and the server's resident memory, from a process of its own, while
    the load runs (the test's own loop is busy sending)."""

    def __init__(self, server) -> None:
        self.server = server
        self.latencies: list[float] = []
        self.growth_mb = 0.0

    async def during(self, load) -> list:
        command = [sys.executable, "-m", "tests.security.probe", self.server.url]
        probe = subprocess.Popen(
            [*command, str(self.server.pid)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        assert probe.stdout.readline().strip() == "ready"
        await asyncio.sleep(0.2)
        try:
            return await load
        finally:
            await asyncio.sleep(0.2)
            output, _ = probe.communicate(input="", timeout=30)
            figures = json.loads(output)
            self.latencies = figures["latencies"]
            self.growth_mb = figures["peak"] - figures["base"]
            worst = max(self.latencies) * 1000
            print(f"server memory +{self.growth_mb:.0f} MB, /healthz worst {worst:.0f} ms")


async def post(http, path, body: bytes, content_type: str, headers=None) -> tuple[int, dict]:
    headers = {"Content-Type": content_type, **(headers or {})}
    async with http.post(path, data=body, headers=headers) as response:
        return response.status, json.loads(await response.read() or b"{}")


def multipart(size: int) -> tuple[bytes, str]:
    boundary = "pomocboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nLogo\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="body"\r\n\r\nOpis\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="a.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return head + b"\0" * (
        size - len(head) - len(tail)
    ) + tail, f"multipart/form-data; boundary={boundary}"


async def test_unauthenticated_giants_are_refused_unread(server):
    body = b'{"helped": "' + b"a" * BIG + b'"}'
    upload, upload_type = multipart(BIG)
    async with aiohttp.ClientSession(server.url) as http:
        probe = Probe(server)
        requests = [
            post(http, "/api/v1/tickets/1/feedback", body, "application/json"),
            post(http, "/api/v1/tickets", body, "application/json"),
            post(http, "/api/v1/tickets", upload, upload_type),
            post(http, "/panel/hints", body, "application/json"),
            post(http, "/slack/events", body, "application/json"),
            post(http, "/slack/events", body, "application/x-www-form-urlencoded"),
        ]
        results = await probe.during(asyncio.gather(*requests))
    statuses = [status for status, _ in results]
    # Refused on their declared size or their missing credential, before any parsing.
    assert all(status in (401, 413) for status in statuses), statuses
    assert all(set(body) == {"detail", "errors"} for _, body in results), results
    assert probe.growth_mb < 40, f"+{probe.growth_mb:.0f} MB for six 54 MB bodies"
    assert max(probe.latencies) < 1.0, f"/healthz waited {max(probe.latencies):.2f} s"


async def test_a_shops_own_oversized_bodies_are_refused_and_uploads_stay_bounded(server):
    auth = {"Authorization": f"Bearer {server.token}"}
    body = b'{"body": "' + b"a" * BIG + b'"}'
    too_big_upload, upload_type = multipart(70 * 1000 * 1000)
    allowed_upload, _ = multipart(BIG)  # under the request cap; its file over the per-file one
    async with aiohttp.ClientSession(server.url) as http:
        probe = Probe(server)
        results = await probe.during(
            asyncio.gather(
                post(http, "/api/v1/tickets", body, "application/json", auth),
                post(http, "/api/v1/tickets", too_big_upload, upload_type, auth),
                post(http, "/api/v1/tickets", allowed_upload, upload_type, auth),
            )
        )
    (json_status, json_body), (big_status, _), (upload_status, upload_body) = results
    assert (json_status, big_status) == (413, 413), results
    assert "KB" in json_body["detail"], json_body
    # Read in full (it is within the limit) but spooled to disk and cut at the file limit.
    assert upload_status == 422 and upload_body["errors"][0]["field"] == "files", upload_body
    assert probe.growth_mb < 60, f"+{probe.growth_mb:.0f} MB"
    assert max(probe.latencies) < 1.0, f"/healthz waited {max(probe.latencies):.2f} s"


def refused_before_the_body(server, head: str) -> bytes:
    """Send a request head and 1 KB of its body, then read: the answer must come without the
    rest (a server that waits for the body answers nothing)."""
    with server.connect() as sock:
        sock.sendall(head.encode() + b"\r\n" + b"x" * 1024)
        sock.settimeout(3)
        return sock.recv(4096)


def test_credentials_and_sizes_are_checked_before_the_body_is_read(server):
    def head(path: str, content_type: str, size: int, auth: str = "") -> str:
        lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Type: {content_type}"]
        lines += [f"Content-Length: {size}"] + ([f"Authorization: {auth}"] if auth else [])
        return "\r\n".join(lines) + "\r\n"

    upload = "multipart/form-data; boundary=x"
    good = f"Bearer {server.token}"
    cases = {
        "no credential": (head("/api/v1/tickets", upload, 50_000_000), b" 401 "),
        "a bad token": (head("/api/v1/tickets", upload, 50_000_000, "Bearer nope"), b" 401 "),
        "too large JSON": (head("/api/v1/tickets", "application/json", 10_000_000, good), b" 413 "),
        "too large upload": (head("/api/v1/tickets", upload, 70_000_000, good), b" 413 "),
        "hints": (head("/panel/hints", "application/json", 10_000_000), b" 413 "),
        "unsigned Slack": (head("/slack/events", "application/json", 10_000_000), b" 413 "),
    }
    for name, (request, status) in cases.items():
        answer = refused_before_the_body(server, request)
        assert answer.startswith(b"HTTP/1.1") and status in answer.split(b"\r\n")[0], (name, answer)


async def test_garbage_to_slack_events_is_a_quiet_401_and_signed_requests_still_pass(server):
    async with aiohttp.ClientSession(server.url) as http:
        garbage = await post(http, "/slack/events", b"{not json", "application/json")
        forged_headers = {"X-Slack-Request-Timestamp": "not-a-time", "X-Slack-Signature": "v0=1"}
        forged = await post(http, "/slack/events", b"\xff\xfe", "application/json", forged_headers)
        body = json.dumps({"type": "url_verification", "challenge": "wyzwanie", "token": "t"})
        stamp = str(int(time.time()))
        signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=stamp, body=body)
        signed_headers = {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}
        async with http.post(
            "/slack/events",
            data=body,
            headers={"Content-Type": "application/json", **signed_headers},
        ) as response:
            signed = response.status, await response.json()
    assert garbage[0] == 401 and garbage[1]["detail"], garbage
    assert forged[0] == 401, forged
    assert signed == (200, {"challenge": "wyzwanie"}), signed
    # pomoc_process asserts on exit that the log holds no traceback.
    assert "Exception" not in server.output()
