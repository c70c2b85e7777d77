"""A local Synapse for tests, benchmarks and `pomoc demo`: loopback, SQLite, no federation."""

# Synchronous on purpose (subprocess + httpx); call it from async code with `asyncio.to_thread`.
# Synapse runs from its own environment: POMOC_SYNAPSE_PYTHON, default ./.venv-synapse/bin/python.

import hashlib
import hmac
import os
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path

import httpx

SHARED_SECRET = "pomoc-local-only"
RATE_LIMIT_KEYS = (
    "rc_message",
    "rc_registration",
    "rc_registration_token_validity",
    "rc_room_creation",
    "rc_joins_per_room",
    "rc_admin_redaction",
    "rc_3pid_validation",
    "rc_media_create",
    "rc_third_party_invite",
    "rc_reports",
    "rc_delayed_event_mgmt",
    "rc_key_requests",
    "rc_user_directory",
    "rc_profile",
)
NESTED_RATE_LIMITS = {
    "rc_login": ("address", "account", "failed_attempts"),
    "rc_joins": ("local", "remote"),
    "rc_invites": ("per_room", "per_user", "per_issuer"),
    "rc_presence": ("per_user",),
}
LOG_CONFIG = """version: 1
formatters:
  plain: {format: '%(asctime)s %(levelname)s %(name)s %(message)s'}
handlers:
  file: {class: logging.FileHandler, formatter: plain, filename: DIR/homeserver.log}
root: {level: WARNING, handlers: [file]}
disable_existing_loggers: false
"""


def synapse_python() -> Path:
    """The interpreter of the Synapse venv `make synapse` builds beside the project."""
    default = Path(__file__).resolve().parent.parent / ".venv-synapse" / "bin" / "python"
    return Path(os.environ.get("POMOC_SYNAPSE_PYTHON") or default)


def _relaxed() -> str:
    unlimited = "{per_second: 100000, burst_count: 100000}"
    lines = [f"{key}: {unlimited}" for key in RATE_LIMIT_KEYS]
    for key, subkeys in NESTED_RATE_LIMITS.items():
        lines.append(f"{key}:")
        lines += [f"  {sub}: {unlimited}" for sub in subkeys]
    return "\n".join(lines)


class Homeserver:
    def __init__(self, data_dir: Path, port: int, *, server_name: str = "localhost") -> None:
        self.data_dir = Path(data_dir).resolve()
        self.port = port
        self.server_name = server_name
        self.config_path = self.data_dir / "homeserver.yaml"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _write_config(self) -> None:
        d = self.data_dir
        d.mkdir(parents=True, exist_ok=True)
        (d / "log.config").write_text(LOG_CONFIG.replace("DIR", str(d)))
        self.config_path.write_text(
            f"""server_name: "{self.server_name}"
pid_file: {d}/homeserver.pid
public_baseurl: "{self.url}/"
listeners:
  - {{port: {self.port}, bind_addresses: ['127.0.0.1'], type: http, tls: false,
     x_forwarded: false, resources: [{{names: [client], compress: false}}]}}
database: {{name: sqlite3, args: {{database: {d}/homeserver.db}}}}
log_config: {d}/log.config
media_store_path: {d}/media_store
signing_key_path: {d}/{self.server_name}.signing.key
registration_shared_secret: "{SHARED_SECRET}"
macaroon_secret_key: "{SHARED_SECRET}-macaroon"
form_secret: "{SHARED_SECRET}-form"
report_stats: false
enable_registration: false
federation_domain_whitelist: []
trusted_key_servers: []
suppress_key_server_warning: true
presence: {{enabled: false}}
url_preview_enabled: false
# Throwaway local accounts: cheap password hashing keeps registering and logging in fast.
bcrypt_rounds: 4
enable_metrics: false
{_relaxed()}
"""
        )

    def start(self, *, timeout: float = 60) -> None:
        if self.running:
            return
        python = synapse_python()
        if not python.exists():
            raise FileNotFoundError(f"no Synapse interpreter at {python}: run `make synapse`")
        self._write_config()
        command = [str(python), "-m", "synapse.app.homeserver", "-c", str(self.config_path)]
        if not (self.data_dir / f"{self.server_name}.signing.key").exists():
            subprocess.run(
                [*command, "--generate-keys"], check=True, capture_output=True, timeout=120
            )
        log = open(self.data_dir / "stdout.log", "ab")  # noqa: SIM115 - lives with the process
        self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"Synapse exited with {self._process.returncode}; see {self.data_dir}"
                )
            try:
                if httpx.get(f"{self.url}/_matrix/client/versions", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise TimeoutError(f"Synapse did not answer within {timeout} s; see {self.data_dir}")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def register(self, localpart: str, password: str, *, admin: bool = False) -> tuple[str, str]:
        """(user_id, access_token); logs in instead when the user exists already."""
        endpoint = f"{self.url}/_synapse/admin/v1/register"
        with httpx.Client(timeout=30) as http:
            nonce = http.get(endpoint).raise_for_status().json()["nonce"]
            role = "admin" if admin else "notadmin"
            message = "\x00".join((nonce, localpart, password, role)).encode()
            mac = hmac.new(SHARED_SECRET.encode(), message, hashlib.sha1)
            body = {
                "nonce": nonce,
                "username": localpart,
                "password": password,
                "admin": admin,
                "mac": mac.hexdigest(),
            }
            response = http.post(endpoint, json=body)
            if response.status_code == 200:
                data = response.json()
                return data["user_id"], data["access_token"]
            if response.json().get("errcode") != "M_USER_IN_USE":
                response.raise_for_status()
            return self.login(localpart, password)

    def login(self, localpart: str, password: str) -> tuple[str, str]:
        body = {
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": localpart},
            "password": password,
        }
        response = httpx.post(f"{self.url}/_matrix/client/v3/login", json=body, timeout=30)
        data = response.raise_for_status().json()
        return data["user_id"], data["access_token"]

    def create_room(self, token: str, *, name: str, invite: Iterable[str] = ()) -> str:
        """A private room made by the token's owner, with `invite` invited; returns its id."""
        body = {"name": name, "preset": "private_chat", "invite": list(invite)}
        response = httpx.post(
            f"{self.url}/_matrix/client/v3/createRoom",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        return str(response.raise_for_status().json()["room_id"])
