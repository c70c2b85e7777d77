"""`pomoc run` processes for the platform tests: one or two instances, killed or stopped."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.platform.receiver import SECRET
from tests.platform.support import PLATFORM_KEY
from tests.test_run import free_port

REPO = Path(__file__).resolve().parents[2]


def write_config(
    folder: Path, database_url: str, *, name: str = "pomoc-1", webhook_url: str | None = None
) -> Path:
    """The config of one instance; a restarted instance keeps its id (it takes back its leases)."""
    path = folder / f"{name}.toml"
    lines = [
        f'[server]\ninstance_id = "{name}"',
        f'[database]\nurl = "{database_url}"',
        f'[attachments]\ndirectory = "{folder}/files"',
        "[outbox]\nprobe_first_seconds = 0.2\nprobe_max_seconds = 0.5\nmax_backoff_seconds = 0.5",
    ]
    if webhook_url:
        lines.append(f'[webhooks.endpoints]\nplatform = "{webhook_url}"')
    path.write_text("\n".join(lines) + "\n")
    return path


@dataclass
class Instance:
    process: subprocess.Popen
    url: str
    log: Path

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(timeout=30)
        return self.log.read_text(errors="replace")


def start(config: Path) -> Instance:
    """A `pomoc run` with the platform's key and the webhook secret, healthy."""
    port = free_port()
    env = {
        **os.environ,
        "POMOC_SECRET_KEY": "platform-tests",
        "POMOC_PLATFORM_KEY": PLATFORM_KEY,
        "POMOC_WEBHOOK_SECRET": SECRET,
    }
    command = [sys.executable, "-m", "pomoc", "run", "--config", str(config), "--port", str(port)]
    log = config.with_suffix(f".{port}.log")
    with log.open("w") as output:  # a file, not a pipe nobody reads: a full pipe blocks it
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, text=True, cwd=REPO, env=env
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return Instance(process, url, log)
        time.sleep(0.1)
    process.kill()
    raise AssertionError("pomoc run did not become healthy:\n" + log.read_text())
