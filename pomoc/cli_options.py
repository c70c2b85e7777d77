"""Options and helpers shared by the `pomoc` sub-commands."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

from bot.config import Config, load_config
from bot.errors import ConfigError

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="TOML config file (default: embedded).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def config_or_exit(path: Path | None) -> Config:
    """The configuration, or exit 2 with the error that names the bad key."""
    try:
        return load_config(path)
    except ConfigError as error:
        typer.secho(str(error), fg="red", err=True)
        raise typer.Exit(2) from None


@contextmanager
def transaction(url: str, *, migrate: bool) -> Iterator[Session]:
    """One transaction on the database at `url` (migrated first if `migrate`), for a command
    that runs once: the engine is disposed of afterwards."""
    from storage.db import Database
    from storage.migrate import upgrade

    if migrate:
        upgrade(url)
    db = Database(url)
    try:
        with db.transaction() as session:
            yield session
    finally:
        db.dispose()
