"""Test databases: a migrated SQLite file copied per test, or one PostgreSQL database per run."""

# PostgreSQL is used when POMOC_TEST_DATABASE_URL is set (e.g.
# postgresql://postgres@127.0.0.1/test); the run creates its own database next to that one and
# truncates every table between tests.

import os
import shutil
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from storage.migrate import upgrade

PG_URL = os.environ.get("POMOC_TEST_DATABASE_URL")


def _pg_admin_url(url: str) -> str:
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


class PostgresDatabases:
    def __init__(self, base_url: str) -> None:
        self.admin_url = _pg_admin_url(base_url)
        self.name = f"pomoc_test_{uuid.uuid4().hex[:10]}"
        self.url = (
            make_url(self.admin_url).set(database=self.name).render_as_string(hide_password=False)
        )
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{self.name}"'))
        engine.dispose()
        upgrade(self.url)
        self.engine = create_engine(self.url)

    def fresh(self) -> str:
        tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        with self.engine.begin() as connection:
            extra = (
                connection.execute(
                    text(
                        "SELECT tablename FROM pg_tables WHERE schemaname='public' "
                        "AND tablename <> 'alembic_version'"
                    )
                )
                .scalars()
                .all()
            )
            names = ", ".join(f'"{name}"' for name in extra) or tables
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        return self.url

    def drop(self) -> None:
        self.engine.dispose()
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        engine.dispose()


class SqliteDatabases:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.template = folder / "template.db"
        upgrade(f"sqlite:///{self.template}")

    def fresh(self) -> str:
        target = self.folder / f"{uuid.uuid4().hex}.db"
        shutil.copyfile(self.template, target)
        return f"sqlite:///{target}"

    def drop(self) -> None:
        pass
