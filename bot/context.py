"""What every operation needs besides its session: config, secrets, database, clock, files."""

from dataclasses import dataclass, field
from functools import cached_property

from bot.agent_links import AgentLinks
from bot.clock import Clock
from bot.config import Config, Secrets
from bot.hours import SupportHours
from bot.telemetry import NoTelemetry, Telemetry
from bot.triage import Triager
from storage.db import Database
from storage.files import AttachmentStore


@dataclass(frozen=True)
class Context:
    config: Config
    secrets: Secrets
    db: Database
    clock: Clock
    hours: SupportHours
    files: AttachmentStore
    triager: Triager
    telemetry: Telemetry = field(default_factory=NoTelemetry)

    @property
    def public_url(self) -> str:
        return self.config.server.public_url.rstrip("/")

    @cached_property
    def agent_links(self) -> AgentLinks:
        """Signs the agents' ticket links: built once, as its key and URL never change."""
        return AgentLinks(self.secrets.secret_key, self.public_url)
