"""What every operation needs besides its session: config, secrets, database, clock, files."""

from dataclasses import dataclass

from bot.clock import Clock
from bot.config import Config, Secrets
from bot.hours import SupportHours
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

    @property
    def public_url(self) -> str:
        return self.config.server.public_url.rstrip("/")
