"""kill -9 of a real worker process mid-burst, then a restart."""

# The journal is what the platform received (written and fsynced by the adapter before the call
# returns). Guarantee checked: every key reaches the platform at least once; a key reaches it twice
# only when the first call may have been lost with the process (then flagged `retry`), so a platform
# that dedupes by key (Matrix transaction ids, Slack's metadata check) shows each message exactly
# once, and each thread in the order the shop wrote.

import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage import blocks
from tests.reliability.burst import assert_thread_order, open_burst, outbox

pytestmark = pytest.mark.slow  # real processes or load: `make test`, not `make check`

REPO = Path(__file__).resolve().parents[2]
BATCH = 5


def start_worker(database_url: str, tmp_path: Path, journal: Path, *extra: str) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "tests.reliability.outbox_worker",
        f"--database-url={database_url}",
        f"--files={tmp_path / 'files'}",
        f"--journal={journal}",
        f"--batch={BATCH}",
        *extra,
    ]
    return subprocess.Popen(command, cwd=REPO, stderr=subprocess.PIPE, text=True)


def journal_lines(journal: Path) -> list[tuple[str, bool]]:
    if not journal.exists():
        return []
    rows = [line.split("\t") for line in journal.read_text().splitlines()]
    return [(key, retry == "1") for key, retry in rows]


def test_sigkill_mid_burst_then_restart_delivers_everything(services, clock, tmp_path):
    # Tickets from a past Wednesday morning: due at once for a worker on the real clock.
    clock.set(datetime(2020, 1, 8, 9, 0, tzinfo=UTC))
    open_burst(services, tickets=20, posts=10)
    url = services.config.database.url
    journal = tmp_path / "platform.journal"

    first = start_worker(url, tmp_path, journal)
    deadline = time.monotonic() + 60
    while len(journal_lines(journal)) < 60:
        assert first.poll() is None, first.stderr.read()
        assert time.monotonic() < deadline, "the worker did not get going"
        time.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert first.returncode == -signal.SIGKILL
    before_restart = len(journal_lines(journal))
    assert before_restart < 220, "killed too late to mean anything"

    second = start_worker(url, tmp_path, journal)
    _, errors = second.communicate(timeout=60)
    assert second.returncode == 0, errors

    items = outbox(services.db)
    assert len(items) == 220
    assert {item.state for item in items} == {"done"}
    lines = journal_lines(journal)
    calls = Counter(key for key, _ in lines)
    assert set(calls) == {item.idempotency_key for item in items}  # at least once each
    repeated = [key for key, n in calls.items() if n > 1]
    assert len(repeated) <= BATCH  # only what was in flight when the process died
    first_seen: set[str] = set()
    for key, retry in lines:
        assert key not in first_seen or retry, f"{key} sent twice without the retry flag"
        first_seen.add(key)
    # What a deduping platform shows: the first call per key, in arrival order.
    by_ticket = {item.idempotency_key: f"thread-{item.ticket_id}" for item in items}
    shown = list(dict.fromkeys(key for key, _ in lines))
    assert_thread_order(items, [(by_ticket[key], key) for key in shown])


def test_sigkill_while_a_channel_is_blocked_loses_and_doubles_nothing(services, clock, tmp_path):
    clock.set(datetime(2020, 1, 8, 9, 0, tzinfo=UTC))
    open_burst(services, tickets=8, posts=3)
    url = services.config.database.url
    journal, flag = tmp_path / "platform.journal", tmp_path / "bot-not-in-channel"
    flag.touch()
    first = start_worker(url, tmp_path, journal, f"--blocked={flag}")
    deadline = time.monotonic() + 60
    while not blocked_rows(services):  # the worker found the channel closed and paused it
        assert first.poll() is None, first.stderr.read()
        assert time.monotonic() < deadline, "the channel was never seen as blocked"
        time.sleep(0.05)
    time.sleep(0.5)  # a few probes, all refused
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert journal_lines(journal) == []  # nothing reached the platform while it refused
    assert {item.state for item in outbox(services.db)} == {"pending"}

    flag.unlink()  # the operator invites the bot
    second = start_worker(url, tmp_path, journal, f"--blocked={flag}")
    _, errors = second.communicate(timeout=60)
    assert second.returncode == 0, errors
    items = outbox(services.db)
    assert {item.state for item in items} == {"done"}
    keys = [key for key, _ in journal_lines(journal)]
    assert sorted(keys) == sorted(item.idempotency_key for item in items)  # each exactly once
    by_ticket = {item.idempotency_key: f"thread-{item.ticket_id}" for item in items}
    assert_thread_order(items, [(by_ticket[key], key) for key in keys])
    assert blocked_rows(services) == []


def blocked_rows(services) -> list[str]:
    with services.db.transaction() as session:
        return [row.code for row in blocks.blocked_channels(session)]
