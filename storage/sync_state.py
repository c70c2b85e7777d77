"""One value kept in the `syncstate` table under a key, e.g. the Matrix sync position."""

from bot.clock import Clock
from storage import repositories as repo
from storage.db import Database


class StoredValue:
    """`load`/`save` of one key, each its own transaction (matches the adapters' SyncTokens)."""

    def __init__(self, db: Database, clock: Clock, *, key: str) -> None:
        self.db = db
        self.clock = clock
        self.key = key

    def load(self) -> str | None:
        with self.db.transaction() as session:
            return repo.get_sync_state(session, self.key)

    def save(self, token: str) -> None:
        with self.db.transaction() as session:
            repo.set_sync_state(session, self.key, token, self.clock.now())
