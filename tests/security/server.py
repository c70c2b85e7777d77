"""`pomoc run` as a real process for hostile-load tests: its memory, its log, raw sockets to it."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def toml(sections: Mapping[str, Mapping[str, object]]) -> str:
    """Enough TOML for a test's config: tables of scalars and lists."""
    lines = []
    for name, values in sections.items():
        lines.append(f"[{name}]")
        lines += [f"{key} = {_toml_value(value)}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


class PomocProcess:
    """A running `pomoc run`: its URL, pid, resident memory and (after stopping) its log."""

    def __init__(self, process: subprocess.Popen, *, url: str, log: Path) -> None:
        self.process = process
        self.url = url
        self.port = int(url.rsplit(":", 1)[1])
        self.log = log

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmRSS")

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock


def _wait_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise AssertionError("pomoc run did not become healthy:\n" + log.read_text())


@contextlib.contextmanager
def pomoc_process(
    tmp_path: Path,
    database_url: str,
    *,
    env: Mapping[str, str] | None = None,
    **sections: Mapping[str, object],
) -> Iterator[PomocProcess]:
    """`pomoc run` on `database_url` with the given config sections; stopped with SIGINT, and
    its log must hold no traceback."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base: dict[str, dict[str, object]] = {
        "database": {"url": database_url},
        "attachments": {"directory": str(tmp_path / "files")},
        "triage": {"semantic": False},
    }
    for name, values in sections.items():
        base[name] = {**base.get(name, {}), **values}
    config = tmp_path / "pomoc.toml"
    config.write_text(toml(base))
    log = tmp_path / "pomoc.log"
    command = [sys.executable, "-m", "pomoc", "run", "--config", str(config), "--port", str(port)]
    environment = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "POMOC_SECRET_KEY": "k" * 32,
        **(env or {}),
    }
    with log.open("w") as out:
        process = subprocess.Popen(
            command, cwd=tmp_path, env=environment, stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, log)
        yield PomocProcess(process, url=url, log=log)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert "Traceback" not in log.read_text(), log.read_text()
