"""`pomoc check` against the fake Slack Web API: healthy, and each failure an operator can fix."""

import asyncio
import os
import sys

import pytest

from bot.config import Secrets
from pomoc.checks import run_checks
from tests.conftest import make_config
from tests.slack.conftest import BOT_TOKEN, PAYMENTS, SUPPORT

MANAGERS = "CMGR"


def slack_config(database_url, tmp_path, fake):
    return make_config(
        database_url,
        tmp_path,
        departments={
            "payments": {"platform": "slack", "channel": PAYMENTS},
            "other": {"platform": "slack", "channel": SUPPORT},
        },
        slack={"enabled": True, "api_base_url": fake.api_url},
        managers={"platform": "slack", "channel": MANAGERS},
    )


def by_name(checks):
    return {check.name: check for check in checks}


SECRETS = Secrets.from_env({"POMOC_SLACK_BOT_TOKEN": BOT_TOKEN})


async def test_a_healthy_workspace_passes_every_check(database_url, tmp_path, fake):
    checks = await run_checks(slack_config(database_url, tmp_path, fake), SECRETS)
    assert [c.line() for c in checks if not c.ok] == []
    names = by_name(checks)
    assert {f"slack channel {c}" for c in (SUPPORT, PAYMENTS, MANAGERS)} <= set(names)
    assert names["slack token"].detail == "Pomoc as pomoc"


async def test_send_test_posts_and_deletes_a_message_in_every_channel(database_url, tmp_path, fake):
    checks = await run_checks(slack_config(database_url, tmp_path, fake), SECRETS, send_test=True)
    assert all(c.ok for c in checks)
    posted = {call.channel for call in fake.calls_of("chat.postMessage")}
    deleted = {call.channel for call in fake.calls_of("chat.delete")}
    assert posted == deleted == {SUPPORT, PAYMENTS, MANAGERS}
    assert all(fake.messages.get(c, []) == [] for c in posted)


@pytest.mark.parametrize(
    ("breakage", "failing", "words"),
    [
        (lambda f: f.outside_channels.add(SUPPORT), f"slack channel {SUPPORT}", "/invite"),
        (lambda f: f.archived_channels.add(MANAGERS), f"slack channel {MANAGERS}", "archiwum"),
        (lambda f: f.missing_channels.add(PAYMENTS), f"slack channel {PAYMENTS}", "identyfikator"),
        (lambda f: setattr(f, "scopes", ("chat:write",)), "slack scopes", "manifestu"),
        (lambda f: setattr(f, "token_error", "token_revoked"), "slack token", "token"),
    ],
)
async def test_each_fixable_failure_is_named_with_its_fix(
    database_url, tmp_path, fake, breakage, failing, words
):
    breakage(fake)
    checks = by_name(await run_checks(slack_config(database_url, tmp_path, fake), SECRETS))
    assert not checks[failing].ok
    assert words in checks[failing].line()
    assert [name for name, c in checks.items() if not c.ok] == [failing]


async def test_the_command_prints_a_line_per_check_and_exits_non_zero_on_failure(
    database_url, tmp_path, fake
):
    fake.outside_channels.add(SUPPORT)
    config = tmp_path / "pomoc.toml"
    config.write_text(
        f"""
[database]
url = "{database_url}"
[departments.other]
platform = "slack"
channel = "{SUPPORT}"
[slack]
enabled = true
api_base_url = "{fake.api_url}"
"""
    )
    env = {**os.environ, "POMOC_SLACK_BOT_TOKEN": BOT_TOKEN}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pomoc",
        "check",
        "--config",
        str(config),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    text = output.decode()
    assert process.returncode == 1, text
    assert f"FAIL slack channel {SUPPORT}: the bot is not a member -> zaproś bota" in text
    assert "ok   slack token" in text and "1 failed" in text
