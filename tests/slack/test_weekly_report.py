"""The weekly report in Slack's managers' channel: its text and chart once, whatever fails."""

from collections.abc import AsyncIterator

import pytest
from sqlmodel import select

from bot.vocabulary import OutboxState
from bot.weekly import prepare, send_weekly
from storage.models import OutboxItem
from tests.fakes.slack_api import FakeSlack
from tests.scheduling.conftest import warsaw
from tests.slack.conftest import slack_runtime

MANAGERS = "CMANAGERS"
KEY = "weekly:2026-W48"


@pytest.fixture
async def runtime(database_url, tmp_path, clock, fake) -> AsyncIterator:
    managers = {"platform": "slack", "channel": MANAGERS}
    rt = slack_runtime(database_url, tmp_path, clock, fake, managers=managers)
    yield rt
    rt.core.db.dispose()


@pytest.fixture
def monday(runtime, clock):
    """Monday 30.11.2026 09:00: the report of 23-29.11 is due; what it will hold."""
    clock.set(warsaw(2026, 11, 30, 9, 0))
    return prepare(runtime.core.ctx, clock.now())


def posted(fake: FakeSlack) -> tuple[list[dict], list[dict]]:
    """The managers' channel: (our text messages, our file shares)."""
    messages = fake.messages.get(MANAGERS, [])
    texts = [m for m in messages if m.get("subtype") != "file_share"]
    shares = [m for m in messages if m.get("subtype") == "file_share"]
    return texts, shares


def shared_bytes(fake: FakeSlack, share: dict) -> bytes:
    (file,) = share["files"]
    return fake.uploads[file["id"]]["data"]


async def deliver(runtime, clock, *, passes: int = 1) -> None:
    """Deliver what is due, `passes` times, past any backoff in between."""
    for _ in range(passes):
        await runtime.dispatcher.deliver_once()
        clock.advance(minutes=15)


def item_state(runtime) -> OutboxState:
    with runtime.core.db.transaction() as session:
        query = select(OutboxItem).where(OutboxItem.idempotency_key == KEY)
        return session.exec(query).one().state


async def test_the_text_then_the_chart_in_the_managers_channel(runtime, clock, fake, monday):
    assert send_weekly(runtime.core.ctx)
    await deliver(runtime, clock)

    (text,), (share,) = posted(fake)
    assert text["metadata"]["event_payload"]["key"] == KEY
    assert "raport tygodniowy 23.11 – 29.11.2026" in text["text"]
    # The managers' page: a link element in a last block, and a link in the fallback too.
    assert text["blocks"][-1]["elements"][0]["elements"] == [
        {"type": "link", "url": monday.link.url, "text": "Szczegóły i CSV"}
    ]
    url = monday.link.url.replace("&", "&amp;")
    assert text["text"].splitlines()[-1] == f"<{url}|Szczegóły i CSV>"
    assert float(share["ts"]) > float(text["ts"])
    assert share["files"][0]["name"] == "pomoc-2026-W48.png"
    assert shared_bytes(fake, share) == monday.chart
    assert share["files"][0]["title"] == monday.alt_text
    assert item_state(runtime) == OutboxState.DONE


async def test_a_crash_after_the_upload_posts_neither_twice(runtime, clock, fake, monday):
    # Slack shares the file but the answer is lost: the worker takes it for a failure.
    fake.fail("files.completeUploadExternal", status=500, apply=True)
    assert send_weekly(runtime.core.ctx)
    await deliver(runtime, clock)
    assert item_state(runtime) == OutboxState.PENDING
    await deliver(runtime, clock)

    (_text,), (share,) = posted(fake)
    assert shared_bytes(fake, share) == monday.chart
    assert len(fake.calls_of("chat.postMessage")) == 1
    assert len(fake.calls_of("files.completeUploadExternal")) == 1
    assert len(fake.calls_of("conversations.history")) == 1  # the retry looked, once
    assert item_state(runtime) == OutboxState.DONE


async def test_a_lost_answer_to_the_text_does_not_repeat_it(runtime, clock, fake, monday):
    fake.fail("chat.postMessage", status=500, apply=True)
    assert send_weekly(runtime.core.ctx)
    await deliver(runtime, clock, passes=2)

    (text,), (share,) = posted(fake)
    assert text["metadata"]["event_payload"]["key"] == KEY
    assert shared_bytes(fake, share) == monday.chart
    assert item_state(runtime) == OutboxState.DONE


async def test_an_upload_that_fails_for_now_is_tried_again_without_the_text(
    runtime, clock, fake, monday
):
    fake.fail("files.getUploadURLExternal", status=503, error="service_unavailable")
    assert send_weekly(runtime.core.ctx)
    await deliver(runtime, clock)
    (text,), shares = posted(fake)  # the text is there already
    assert shares == []
    await deliver(runtime, clock)

    (again,), (share,) = posted(fake)
    assert again["ts"] == text["ts"]
    assert shared_bytes(fake, share) == monday.chart
    assert item_state(runtime) == OutboxState.DONE


async def test_an_upload_slack_refuses_leaves_the_text_delivered(runtime, clock, fake, monday):
    fake.fail("files.getUploadURLExternal", status=200, error="invalid_arguments")
    assert send_weekly(runtime.core.ctx)
    await deliver(runtime, clock)

    (text,), shares = posted(fake)
    assert shares == []
    assert text["metadata"]["event_payload"]["key"] == KEY
    assert item_state(runtime) == OutboxState.DONE
    assert not any(runtime.core.ctx.files.directory.rglob("*.*"))  # and the chart's file went


async def test_a_manager_file_of_the_same_name_before_the_text_is_not_taken_for_ours(
    runtime, clock, fake, monday
):
    # Someone shared a file called like ours before the report; a retry must still upload.
    fake.messages[MANAGERS] = [
        {
            "type": "message",
            "subtype": "file_share",
            "ts": "1764000000.000001",
            "user": "UANNA",
            "files": [{"id": "FOLD", "name": "pomoc-2026-W48.png"}],
        }
    ]
    fake.fail("files.getUploadURLExternal", status=503, error="service_unavailable")
    assert send_weekly(runtime.core.ctx)
    await deliver(runtime, clock, passes=2)

    (_text,), (_old, share) = posted(fake)
    assert shared_bytes(fake, share) == monday.chart
