"""`pomoc check` and the same checks at `pomoc run`'s start: each a line with a fix in words."""

import logging

from alembic.runtime.migration import MigrationContext
from sqlalchemy.exc import SQLAlchemyError

from bot.checks import Check, chat_targets, hours_check, routing_checks
from bot.config import Config, Secrets
from storage.db import make_engine
from storage.migrate import current_head

log = logging.getLogger(__name__)


def database_check(url: str) -> Check:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            revision = MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as error:
        return Check(
            "database", False, f"unreachable: {type(error).__name__}", "check [database] url"
        )
    finally:
        engine.dispose()
    head = current_head()
    return Check(
        "database",
        revision == head,
        f"schema {revision or 'empty'}" + ("" if revision == head else f", code expects {head}"),
        "run `pomoc db upgrade`",
    )


async def _slack(
    config: Config, secrets: Secrets, channels: set[str], send_test: bool
) -> list[Check]:
    from slack_sdk.web.async_client import AsyncWebClient

    from adapters.slack.checks import slack_checks

    if not secrets.slack_bot_token:
        return [Check("slack token", False, "POMOC_SLACK_BOT_TOKEN is not set", "set it")]
    base_url = config.slack.api_base_url or AsyncWebClient.BASE_URL
    client = AsyncWebClient(token=secrets.slack_bot_token, base_url=base_url, retry_handlers=[])
    return await slack_checks(client, channels=channels, send_test=send_test)


async def _matrix(
    config: Config, secrets: Secrets, rooms: set[str], send_test: bool
) -> list[Check]:
    from nio import AsyncClient, LoginResponse

    from adapters.matrix.checks import matrix_checks

    client = AsyncClient(config.matrix.homeserver, config.matrix.user_id)
    try:
        if secrets.matrix_access_token:
            client.access_token = secrets.matrix_access_token
        elif secrets.matrix_password:
            login = await client.login(secrets.matrix_password, device_name="pomoc check")
            if not isinstance(login, LoginResponse):
                return [Check("matrix token", False, str(login), "check POMOC_MATRIX_PASSWORD")]
        else:
            return [
                Check(
                    "matrix token", False, "no token or password", "set POMOC_MATRIX_ACCESS_TOKEN"
                )
            ]
        return await matrix_checks(client, rooms=rooms, send_test=send_test)
    finally:
        await client.close()


async def run_checks(config: Config, secrets: Secrets, *, send_test: bool = False) -> list[Check]:
    """Every check, in the order an operator fixes things: config, database, routing, chat."""
    checks = [Check("configuration", True, "valid"), database_check(config.database.url)]
    checks += routing_checks(config)
    checks.append(hours_check(config))
    targets = chat_targets(config)
    if config.slack.enabled:
        checks += await _slack(config, secrets, targets.get("slack", set()), send_test)
    if config.matrix.enabled:
        checks += await _matrix(config, secrets, targets.get("matrix", set()), send_test)
    return checks


def log_checks(checks: list[Check]) -> None:
    """At start: every result in the log; a failure never stops the other channels."""
    for check in checks:
        if check.ok:
            log.info("check %s", check.line())
        else:
            log.error("check %s", check.line())
