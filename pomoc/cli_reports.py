"""CLI for managers' reports: `report weekly` (the text, the chart, queueing it) and
`kb gaps` (the articles the help center is missing)."""

import csv
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from bot import catalogue as cat
from bot import report_catalogue as rcat
from bot.context import Context
from pomoc.cli_options import ConfigOption, config_or_exit, transaction

report_app = typer.Typer(help="Managers' reports.", no_args_is_help=True)


def report_context(config: Path | None) -> Context:
    """The core's context on the configured database (migrated), as the server builds it."""
    from bot.config import Secrets
    from pomoc.runtime import build_core  # the server's wiring: only when a command needs it

    return build_core(config_or_exit(config), Secrets.from_env()).ctx


@report_app.command("weekly")
def weekly(
    png: Annotated[
        Path | None, typer.Option("--png", help="Write the chart (PNG) to this file.")
    ] = None,
    send: Annotated[
        bool, typer.Option("--send", help="Queue it for the managers' channel (once a week).")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Print the report of the last full week (Monday to Sunday, local time)."""
    from bot.weekly import prepare, queue  # matplotlib: loaded only for the chart

    ctx = report_context(config)
    report = prepare(ctx, ctx.clock.now())
    typer.echo(report.text)
    typer.echo(report.link.plain)
    if png is not None:
        png.write_bytes(report.chart)
        typer.echo(f"chart written to {png}", err=True)
    if send:
        if queue(ctx, report):
            typer.echo(f"queued for the managers' channel ({report.key})", err=True)
        else:
            typer.secho(
                f"not queued: {report.key} was queued before, or no managers' channel is set",
                fg="yellow",
                err=True,
            )
            raise typer.Exit(1)


def kb_gaps(
    days: Annotated[int, typer.Option(min=1, help="Tickets opened in this many days.")] = 30,
    department: Annotated[str | None, typer.Option(help="Only this department.")] = None,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table.")] = False,
    config: ConfigOption = None,
) -> None:
    """Knowledge gaps: tickets no article answered, grouped by their title words and by
    department, the most tickets first — the articles the help center is missing."""
    from bot.reports import gaps

    settings = config_or_exit(config)
    end = datetime.now(UTC)
    started = time.monotonic()
    typer.echo(f"reading the tickets of the last {days} days…", err=True)
    with transaction(settings.database.url, migrate=False) as session:
        found = gaps(session, end - timedelta(days=days), end, department=department)
    header = cat.text(rcat.GAPS_HEADER, settings.chat.language).split("\t")
    rows = [
        [gap.words, gap.department, str(gap.tickets), " ".join(f"#{i}" for i in gap.examples)]
        for gap in found
    ]
    if as_csv:
        csv.writer(sys.stdout, lineterminator="\n").writerows([header, *rows])
    else:
        typer.echo("\n".join("\t".join(row) for row in [header, *rows]))
    tickets = sum(gap.tickets for gap in found)
    elapsed = time.monotonic() - started
    typer.echo(f"{tickets} tickets in {len(found)} gaps ({elapsed:.1f} s)", err=True)
