"""`pomoc managers link`: a fresh signed link to the managers' read-only report page."""

from typing import Annotated

import typer

from pomoc.cli_options import ConfigOption, config_or_exit

managers_app = typer.Typer(help="The managers' report page.", no_args_is_help=True)


@managers_app.command("link")
def link(
    days: Annotated[int, typer.Option("--days", help="The period shown first: 7 or 30 days.")] = 7,
    config: ConfigOption = None,
) -> None:
    """Print a link to the managers' page (valid 14 days; anyone holding it can read it)."""
    from adapters.panel.web.managers_page import Period
    from bot.agent_links import AgentLinks
    from bot.clock import SystemClock
    from bot.config import Secrets
    from pomoc.runtime import secret_key  # the key the server signs with, from env or var/

    if days not in tuple(Period):
        raise typer.BadParameter("7 or 30", param_hint="--days")
    settings = config_or_exit(config)
    key = secret_key(Secrets.from_env(), settings.attachments.directory.parent)
    links = AgentLinks(key, settings.server.public_url.rstrip("/"))
    typer.echo(links.managers_url(SystemClock().now(), days=days))
