"""`pomoc check` for Slack: the token, the granted scopes, and the bot's place in each channel."""

from collections.abc import Collection
from pathlib import Path
from typing import Any

import yaml
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.outbound import SDK_ERRORS, header
from bot.channels import fix_for
from bot.checks import Check

MANIFEST = Path(__file__).with_name("manifest.yaml")
TEST_TEXT = "Test Pomocy: sprawdzam, czy mogę tu pisać. Ta wiadomość zaraz zniknie."


def manifest_scopes() -> set[str]:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    return set(manifest["oauth_config"]["scopes"]["bot"])


def _code(error: SlackApiError) -> str:
    return str(error.response.get("error") or error.response.status_code)


async def _channel(client: AsyncWebClient, channel: str, *, send_test: bool) -> Check:
    name = f"slack channel {channel}"
    try:
        info: dict[str, Any] = (await client.conversations_info(channel=channel))["channel"]
    except SlackApiError as error:
        return Check(name, False, _code(error), fix_for(_code(error)))
    if info.get("is_archived"):
        return Check(name, False, "archived", fix_for("is_archived"))
    if not info.get("is_member"):
        return Check(name, False, "the bot is not a member", fix_for("not_in_channel"))
    if send_test:
        try:
            posted = await client.chat_postMessage(channel=channel, text=TEST_TEXT)
            await client.chat_delete(channel=channel, ts=posted["ts"])
        except SlackApiError as error:
            return Check(name, False, f"test message: {_code(error)}", fix_for(_code(error)))
        return Check(name, True, f"#{info.get('name', channel)}: test message sent and deleted")
    return Check(name, True, f"#{info.get('name', channel)}, the bot is a member")


async def slack_checks(
    client: AsyncWebClient, *, channels: Collection[str], send_test: bool = False
) -> list[Check]:
    try:
        who = await client.auth_test()
    except SlackApiError as error:
        return [Check("slack token", False, _code(error), fix_for(_code(error)))]
    except SDK_ERRORS as error:
        return [Check("slack token", False, f"Slack unreachable: {error!r}", "check the network")]
    checks = [Check("slack token", True, f"{who.get('team')} as {who.get('user')}")]
    scopes = header(who.headers, "x-oauth-scopes") or ""
    granted = {scope.strip() for scope in scopes.split(",") if scope.strip()}
    missing = sorted(manifest_scopes() - granted)
    checks.append(
        Check(
            "slack scopes",
            not missing,
            f"missing {', '.join(missing)}" if missing else "every scope of the manifest",
            fix_for("missing_scope"),
        )
    )
    for channel in sorted(channels):
        checks.append(await _channel(client, channel, send_test=send_test))
    return checks
