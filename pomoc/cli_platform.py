"""`pomoc shops rotate|deactivate|activate|login-link`, `pomoc platform key`, `webhooks test`."""

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from sqlmodel import Session

from bot.config import Config, Secrets
from pomoc.cli_options import ConfigOption, transaction
from pomoc.cli_options import config_or_exit as _config
from storage.models import Shop

platform_app = typer.Typer(help="The shop platform's credential.", no_args_is_help=True)
webhooks_app = typer.Typer(help="Webhooks to the shop platform.", no_args_is_help=True)
ShopArgument = Annotated[str, typer.Argument(help="The shop's name, platform id or number.")]


def _one_shop(session: Session, reference: str) -> Shop:
    from storage import platform as platform_repo

    found = platform_repo.shop_by_reference(session, reference)
    if len(found) != 1:
        problem = "no shop" if not found else f"{len(found)} shops"
        typer.secho(
            f"{problem} named {reference!r} (name, platform id or number)", fg="red", err=True
        )
        raise typer.Exit(1)
    return found[0]


def shops_rotate(shop: ShopArgument, config: ConfigOption = None) -> None:
    """Give the shop a new API token (printed once); the old one and its web sessions end."""
    from bot.shops import rotate_token

    with transaction(_config(config).database.url, migrate=True) as session:
        token = rotate_token(session, _one_shop(session, shop))
    typer.echo(token)


def _set_active(shop: str, config: ConfigOption, *, active: bool) -> None:
    from bot.shops import set_active

    with transaction(_config(config).database.url, migrate=True) as session:
        row = _one_shop(session, shop)
        set_active(session, row, active=active)
        typer.echo(f"{row.id}\t{row.name}\t{'active' if active else 'inactive'}")


def shops_deactivate(shop: ShopArgument, config: ConfigOption = None) -> None:
    """Lock the shop out (token, links, sessions); its tickets stay."""
    _set_active(shop, config, active=False)


def shops_activate(shop: ShopArgument, config: ConfigOption = None) -> None:
    """Let a deactivated shop in again."""
    _set_active(shop, config, active=True)


def shops_login_link(
    shop: ShopArgument,
    config: ConfigOption = None,
    minutes: Annotated[int, typer.Option(min=1, max=60, help="How long it stays valid.")] = 10,
) -> None:
    """Print a single-use login link into the shop's web inbox."""
    settings = _config(config)
    typer.echo(login_link(settings, shop, ttl=timedelta(minutes=minutes)))


def login_link(settings: Config, shop: str, *, ttl: timedelta) -> str:
    from adapters.panel.platform import login_url_for
    from bot.shops import issue_link

    with transaction(settings.database.url, migrate=True) as session:
        token, _ = issue_link(session, _one_shop(session, shop), now=datetime.now(UTC), ttl=ttl)
    return login_url_for(settings.server.public_url, token)


SHOP_COMMANDS: dict[str, Callable[..., None]] = {
    "rotate": shops_rotate,
    "deactivate": shops_deactivate,
    "activate": shops_activate,
    "login-link": shops_login_link,
}


@platform_app.command("key")
def platform_key(config: ConfigOption = None) -> None:
    """Make the platform's API key (printed once; its hash replaces the previous key's)."""
    from adapters.panel.auth import PLATFORM_KEY_STATE
    from bot.shops import new_token
    from storage import repositories as repo

    key = new_token()
    with transaction(_config(config).database.url, migrate=True) as session:
        repo.set_sync_state(session, PLATFORM_KEY_STATE, repo.hash_token(key), datetime.now(UTC))
    typer.echo(key)


@webhooks_app.command("test")
def webhooks_test(url: Annotated[str, typer.Argument(help="The endpoint to send to.")]) -> None:
    """Send a signed `webhook.test` event to URL (POMOC_WEBHOOK_SECRET) and show the answer."""
    from adapters.panel.webhooks import WebhookSender
    from bot.config import WebhooksConfig
    from bot.errors import DeliveryError

    secret = Secrets.from_env().webhook_secret
    if not secret:
        typer.secho("set POMOC_WEBHOOK_SECRET (whsec_...)", fg="red", err=True)
        raise typer.Exit(2)
    event_id = f"evt_{uuid.uuid4().hex}"
    body: dict[str, object] = {
        "id": event_id,
        "type": "webhook.test",
        "created_at": datetime.now(UTC).isoformat(),
        "shop": None,
        "data": {},
    }

    async def send() -> int:
        sender = WebhookSender(WebhooksConfig(), secret=secret)
        try:
            return (await sender.post(url, event_id=event_id, body=body)).status_code
        finally:
            await sender.close()

    try:
        status = asyncio.run(send())
    except DeliveryError as error:
        typer.secho(f"failed: {error}", fg="red", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{url} answered {status} to {event_id}")
