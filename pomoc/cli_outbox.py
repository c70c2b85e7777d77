"""`pomoc outbox`: see what waits or gave up, deliver it again, or drop it (audited)."""

import getpass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

import typer

from bot.vocabulary import Actor, ActorKind, OutboxState
from pomoc.cli_options import ConfigOption, config_or_exit, transaction
from storage import blocks, operators
from storage import repositories as repo
from storage.models import OutboxItem

outbox_app = typer.Typer(help="Deliveries to Slack, Matrix and webhooks.", no_args_is_help=True)


class Shown(StrEnum):
    PENDING = "pending"
    BLOCKED = "blocked"
    DEAD = "dead"


def _operator() -> Actor:
    return Actor(ActorKind.OPERATOR, getpass.getuser())


def _row(item: OutboxItem) -> str:
    next_try = f"{item.next_attempt_at:%Y-%m-%d %H:%M:%S}" if item.state == "pending" else "-"
    error = (item.last_error or "-").replace("\n", " ")[:80]
    return "\t".join(
        str(value)
        for value in (
            item.id,
            item.state,
            item.ticket_id or "-",
            item.operation,
            item.department or "-",
            f"{item.platform}:{item.channel}",
            item.attempts,
            next_try,
            error,
        )
    )


@outbox_app.command("list")
def list_items(
    state: Annotated[Shown | None, typer.Option(help="Only items in this state.")] = None,
    channel: Annotated[str | None, typer.Option(help="Only this channel or room.")] = None,
    ticket: Annotated[int | None, typer.Option(help="Only this ticket's items.")] = None,
    config: ConfigOption = None,
) -> None:
    """Pending and dead deliveries (or only blocked ones): what waits, where, and why."""
    with transaction(config_or_exit(config).database.url, migrate=False) as session:
        rows = operators.listed(
            session, state=state.value if state else None, channel=channel, ticket_id=ticket
        )
        waiting = blocks.blocked_channels(session)
    typer.echo("id\tstate\tticket\toperation\tdepartment\tchannel\tattempts\tnext try\tlast error")
    for item in rows:
        typer.echo(_row(item))
    for block in waiting:
        typer.echo(
            f"blocked: {block.platform}:{block.channel} since {block.since:%Y-%m-%d %H:%M} "
            f"({block.code}); next probe {block.next_probe_at:%H:%M:%S}",
            err=True,
        )


@outbox_app.command("retry")
def retry(
    item_id: Annotated[int | None, typer.Argument(help="The item to deliver again.")] = None,
    dead: Annotated[bool, typer.Option("--dead", help="Every dead item.")] = False,
    channel: Annotated[
        str | None, typer.Option(help="A channel you fixed: probe it now and retry its items.")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Deliver again now: one item, every dead one, or a channel an operator just fixed."""
    if sum((item_id is not None, dead, channel is not None)) != 1:
        typer.secho("give exactly one of: ITEM_ID, --dead, --channel C", fg="red", err=True)
        raise typer.Exit(2)
    now = datetime.now(UTC)
    with transaction(config_or_exit(config).database.url, migrate=False) as session:
        if item_id is not None:
            item = session.get(OutboxItem, item_id)
            if item is None or item.state in (OutboxState.DONE, OutboxState.REPLACED):
                typer.secho(f"no pending or dead item {item_id}", fg="red", err=True)
                raise typer.Exit(1)
            items = [item]
        elif dead:
            items = operators.listed(session, state="dead", limit=100_000)
        else:
            operators.probe_now(session, channel=str(channel))
            items = operators.listed(session, channel=channel, limit=100_000)
        count = operators.retry_now(session, items, now)
        repo.audit(session, actor=_operator(), action="outbox_retry", now=now, count=count)
    typer.echo(f"{count} item(s) will be delivered again now")


@outbox_app.command("drop")
def drop(
    item_id: Annotated[int, typer.Argument(help="The item to give up for good.")],
    config: ConfigOption = None,
) -> None:
    """Give up one delivery for good (the audit log records who did it)."""
    now = datetime.now(UTC)
    with transaction(config_or_exit(config).database.url, migrate=False) as session:
        item = session.get(OutboxItem, item_id)
        if item is None or item.state not in (OutboxState.PENDING, OutboxState.DEAD):
            typer.secho(f"no pending or dead item {item_id}", fg="red", err=True)
            raise typer.Exit(1)
        item.state = OutboxState.DROPPED
        item.claimed_by = item.claimed_until = None
        session.add(item)
        repo.audit(
            session,
            ticket_id=item.ticket_id,
            actor=_operator(),
            action="outbox_drop",
            now=now,
            key=item.idempotency_key,
        )
    typer.echo(f"dropped {item_id}")
