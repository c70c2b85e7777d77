"""The `pomoc` command: run the service, migrate the database, manage shops."""

import asyncio
import contextlib
import logging
import secrets
from typing import Annotated

import typer

from bot.config import Secrets
from pomoc.cli_managers import managers_app
from pomoc.cli_options import ConfigOption, transaction
from pomoc.cli_options import config_or_exit as _config
from pomoc.cli_outbox import outbox_app
from pomoc.cli_platform import SHOP_COMMANDS, platform_app, webhooks_app
from pomoc.cli_reports import kb_gaps, report_app
from pomoc.cli_triage import kb_app, triage_command
from storage.models import Shop

app = typer.Typer(
    help="Pomoc: shop support tickets bridged to Slack and Matrix.", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
shops_app = typer.Typer(help="Shops and their API tokens.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(shops_app, name="shops")
app.add_typer(kb_app, name="kb")
app.add_typer(outbox_app, name="outbox")
app.add_typer(managers_app, name="managers")
app.add_typer(platform_app, name="platform")
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(report_app, name="report")
for _name, _command in SHOP_COMMANDS.items():
    shops_app.command(_name)(_command)
app.command("triage")(triage_command)
kb_app.command("gaps")(kb_gaps)


@app.command()
def run(
    config: ConfigOption = None,
    host: Annotated[str | None, typer.Option(help="Listen address.")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port.")] = None,
) -> None:
    """Start the HTTP server and the background workers."""
    from pomoc.checks import log_checks, run_checks
    from pomoc.runtime import Runtime, build_core

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = _config(config)
    secrets_ = Secrets.from_env()
    runtime = Runtime(build_core(settings, secrets_))
    # What `pomoc check` says, in the log; a broken channel must not stop the others.
    log_checks(asyncio.run(run_checks(settings, secrets_)))
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            runtime.serve(host=host or settings.server.host, port=port or settings.server.port)
        )


@app.command()
def check(
    config: ConfigOption = None,
    send_test: Annotated[
        bool,
        typer.Option("--send-test", help="Post a test message in each channel, then delete it."),
    ] = False,
) -> None:
    """Check the configuration, the database and every chat channel; exit 1 if anything fails."""
    from pomoc.checks import run_checks

    settings = _config(config)
    checks = asyncio.run(run_checks(settings, Secrets.from_env(), send_test=send_test))
    for item in checks:
        typer.secho(item.line(), fg=None if item.ok else "red")
    failed = sum(not item.ok for item in checks)
    typer.echo(f"{len(checks) - failed} ok, {failed} failed")
    raise typer.Exit(1 if failed else 0)


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None) -> None:
    """Apply every pending migration."""
    from storage.migrate import upgrade

    settings = _config(config)
    upgrade(settings.database.url)
    typer.echo("database is up to date")


def create_shop(url: str, name: str) -> str:
    """Create a shop and return its token; only the token's hash is stored."""
    from datetime import UTC, datetime

    from storage import repositories as repo

    token = secrets.token_urlsafe(32)
    with transaction(url, migrate=False) as session:
        session.add(
            Shop(name=name, token_hash=repo.hash_token(token), created_at=datetime.now(UTC))
        )
    return token


@shops_app.command("add")
def shops_add(name: str, config: ConfigOption = None) -> None:
    """Add a shop and print its API token (shown once: it is stored only as a hash)."""
    from sqlalchemy.exc import IntegrityError

    from storage.migrate import upgrade

    settings = _config(config)
    upgrade(settings.database.url)
    try:
        token = create_shop(settings.database.url, name)
    except IntegrityError:
        typer.secho(f"a shop named {name!r} already exists", fg="red", err=True)
        raise typer.Exit(1) from None
    typer.echo(token)


@shops_app.command("list")
def shops_list(config: ConfigOption = None) -> None:
    """List shops."""
    from sqlmodel import col, select

    with transaction(_config(config).database.url, migrate=False) as session:
        for shop in session.exec(select(Shop).order_by(col(Shop.id))):
            typer.echo(f"{shop.id}\t{shop.name}\t{'active' if shop.active else 'inactive'}")


@app.command()
def demo(
    scripted: Annotated[
        bool, typer.Option(help="Play a short story end to end and exit (0 = all observed).")
    ] = False,
    port: Annotated[int, typer.Option(help="Pomoc's HTTP port.")] = 8000,
    homeserver_port: Annotated[int, typer.Option(help="The local Synapse's port.")] = 8008,
) -> None:
    """Run everything on this machine: a local homeserver, Pomoc on SQLite, the web inbox."""
    from pomoc.demo import run_demo

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    raise typer.Exit(run_demo(scripted=scripted, port=port, homeserver_port=homeserver_port))


@app.command()
def agent(
    user: Annotated[str, typer.Option(help="Matrix user id or demo name, e.g. anna.")],
    password: Annotated[str | None, typer.Option(help="Default: the demo agent's.")] = None,
    homeserver: Annotated[str, typer.Option(help="Homeserver URL.")] = "http://127.0.0.1:8008",
) -> None:
    """Answer tickets as a Matrix agent from the terminal."""
    from pomoc.agent import interactive
    from pomoc.demo import AGENTS

    user_id = user if user.startswith("@") else f"@{user}:localhost"
    secret = password or AGENTS.get(user_id[1:].split(":")[0])
    if secret is None:
        typer.secho("give --password", fg="red", err=True)
        raise typer.Exit(2)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(interactive(homeserver, user_id, secret))


def main() -> None:
    app()
