"""`pomoc run` as a real process: it migrates, serves the API, and stops cleanly on Ctrl-C."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from pomoc.cli import create_shop
from tests.helpers import auth

pytestmark = pytest.mark.slow  # real processes or load: `make test`, not `make check`


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read()
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("pomoc run did not become healthy")


def test_run_serves_the_panel_and_stops_on_sigint(tmp_path: Path):
    port = free_port()
    config = tmp_path / "pomoc.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path}/run.db"\n'
        f'[attachments]\ndirectory = "{tmp_path}/files"\n'
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "pomoc", "run", "--config", str(config), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "POMOC_SECRET_KEY": "test"},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process)
        token = create_shop(f"sqlite:///{tmp_path}/run.db", "Sklep Procesu")
        created = httpx.post(
            f"{url}/api/v1/tickets",
            headers=auth(token),
            data={"title": "Zmiana logo", "body": "Jak podmienic logo?"},
        )
        assert created.status_code == 201, created.text
        listed = httpx.get(f"{url}/api/v1/tickets", headers=auth(token)).json()
        assert [t["title"] for t in listed["tickets"]] == ["Zmiana logo"]
    finally:
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=20)[0]
    assert process.returncode == 0, output
    assert "Traceback" not in output
