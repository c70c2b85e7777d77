"""The weekly report: queued once per ISO week at the configured local time, its chart file kept
until it is delivered."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from sqlmodel import select

from bot.config import ConfigError, parse_config
from bot.errors import DeliveryError
from bot.views import LinkView
from bot.vocabulary import OutboxState
from bot.weekly import prepare, send_weekly
from storage import jobs
from storage.models import OutboxItem
from tests.conftest import make_config
from tests.scheduling.conftest import MANAGERS, WARSAW, warsaw


def weekly_items(services) -> list[OutboxItem]:
    with services.db.transaction() as session:
        query = select(OutboxItem).where(OutboxItem.idempotency_key.startswith("weekly:"))
        return list(session.exec(query.order_by(OutboxItem.id)))


def stored_files(services) -> list[str]:
    root = services.ctx.files.directory
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


async def deliver_all(runtime) -> None:
    while await runtime.dispatcher.deliver_once():
        pass


async def test_one_report_per_week_with_its_chart_and_text(
    services, runtime, chat, clock, open_ticket
):
    clock.set(warsaw(2026, 11, 24, 10, 0))
    open_ticket(title="Zmiana logo")
    clock.set(warsaw(2026, 11, 30, 9, 0))  # Monday: the report of 23-29.11 (ISO week 48)
    expected = prepare(services.ctx, clock.now())

    assert send_weekly(services.ctx)
    (item,) = weekly_items(services)
    assert item.idempotency_key == "weekly:2026-W48"
    assert item.channel == MANAGERS
    picture = item.payload["picture"]
    assert picture["filename"] == "pomoc-2026-W48.png"
    assert picture["alt_text"].startswith("Wykres tygodnia 23.11 – 29.11.2026: 1 nowych")
    assert stored_files(services) == [picture["storage_key"]]

    clock.advance(minutes=30)  # a failover reruns the job the same morning
    assert not send_weekly(services.ctx)
    await deliver_all(runtime)
    ((channel, text),) = chat.announcements
    assert channel == MANAGERS
    assert text == expected.text
    page = services.ctx.agent_links.managers_url(warsaw(2026, 11, 30, 9, 0))
    assert "/managers?days=7&exp=" in page
    # The managers' page, signed, apart from the text so that chat makes it a link.
    assert chat.links == [LinkView(page, "Szczegóły i CSV")]
    assert page not in text
    assert text.splitlines()[-1] == "  zmiana logo (other): zgłoszenia 1, np. #1"
    assert text.splitlines()[0] == "📊 Pomoc: raport tygodniowy 23.11 – 29.11.2026"
    (sent,) = chat.pictures
    assert sent.data == expected.chart
    assert (sent.filename, sent.content_type) == ("pomoc-2026-W48.png", "image/png")
    assert Image.open(io.BytesIO(sent.data)).size == (1200, 1500)
    assert stored_files(services) == []  # delivered: the chart's file is gone

    assert not send_weekly(services.ctx)  # the week's key is used: nothing queued...
    assert stored_files(services) == []  # ...and no file left behind by the attempt

    clock.set(warsaw(2026, 12, 7, 9, 0))
    assert send_weekly(services.ctx)
    assert [i.idempotency_key for i in weekly_items(services)] == [
        "weekly:2026-W48",
        "weekly:2026-W49",
    ]


async def test_the_chart_file_stays_while_the_delivery_may_still_happen(
    services, runtime, chat, clock
):
    clock.set(warsaw(2026, 11, 30, 9, 0))
    assert send_weekly(services.ctx)
    (item,) = weekly_items(services)
    key = item.payload["picture"]["storage_key"]

    def in_use() -> bool:
        with services.db.transaction() as session:
            return jobs.storage_key_in_use(session, key)

    chat.fail_next.append(DeliveryError("homeserver down"))
    await runtime.dispatcher.deliver_once()
    assert in_use() and stored_files(services) == [key]  # pending: kept for the retry

    with services.db.transaction() as session:
        row = session.get(OutboxItem, item.id)
        row.state = OutboxState.DEAD  # given up, until an operator retries it
        session.add(row)
    assert in_use()
    with services.db.transaction() as session:
        row = session.get(OutboxItem, item.id)
        row.state, row.next_attempt_at = OutboxState.PENDING, clock.now()
        session.add(row)

    clock.advance(minutes=10)
    await deliver_all(runtime)
    assert len(chat.pictures) == 1
    assert not in_use() and stored_files(services) == []


def test_a_dropped_report_lets_go_of_its_chart_at_the_next_housekeeping(services, clock):
    from bot.housekeeping import Housekeeper

    clock.set(warsaw(2026, 11, 30, 9, 0))
    assert send_weekly(services.ctx)
    (item,) = weekly_items(services)
    assert Housekeeper(services.ctx).run().files_deleted == 0  # pending: kept
    assert stored_files(services) == [item.payload["picture"]["storage_key"]]
    with services.db.transaction() as session:
        row = session.get(OutboxItem, item.id)
        row.state = OutboxState.DROPPED  # what `pomoc outbox drop` does
        session.add(row)
    assert Housekeeper(services.ctx).run().files_deleted == 1
    assert stored_files(services) == []
    assert Housekeeper(services.ctx).run().files_deleted == 0  # counted once


async def test_without_a_managers_channel_nothing_is_queued_or_kept(
    database_url, tmp_path, secrets, clock
):
    from pomoc.runtime import build_core
    from tests.fakes.triage import KeywordTriager

    config = make_config(database_url, tmp_path)  # [managers] platform = "none"
    services = build_core(config, secrets, clock=clock, triager=KeywordTriager(), migrate=False)
    try:
        clock.set(warsaw(2026, 11, 30, 9, 0))
        assert not send_weekly(services.ctx)
        assert weekly_items(services) == []
        assert stored_files(services) == []
    finally:
        services.db.dispose()


def fire_times(trigger, after: datetime, count: int) -> list[datetime]:
    times, previous, now = [], None, after
    for _ in range(count):
        previous = trigger.get_next_fire_time(previous, now)
        times.append(previous.astimezone(UTC))
        now = previous
    return times


def test_by_default_every_monday_at_nine_local_time_across_dst(runtime):
    trigger = runtime.scheduler.jobs["weekly"].trigger
    # Summer time ends on Sunday 25.10.2026: 09:00 is 07:00 UTC, then 08:00 UTC.
    assert fire_times(trigger, warsaw(2026, 10, 18, 12, 0), 2) == [
        datetime(2026, 10, 19, 7, 0, tzinfo=UTC),
        datetime(2026, 10, 26, 8, 0, tzinfo=UTC),
    ]
    # It begins on Sunday 29.03.2026: 09:00 is 08:00 UTC, then 07:00 UTC.
    assert fire_times(trigger, warsaw(2026, 3, 22, 12, 0), 2) == [
        datetime(2026, 3, 23, 8, 0, tzinfo=UTC),
        datetime(2026, 3, 30, 7, 0, tzinfo=UTC),
    ]


@pytest.fixture
def friday_config(database_url, tmp_path):
    managers = {"platform": "matrix", "channel": MANAGERS, "weekly_day": 4, "weekly_time": "16:30"}
    return make_config(database_url, tmp_path, managers=managers)


def test_the_configured_day_and_time_are_kept(friday_config, secrets, clock):
    from pomoc.runtime import Runtime, build_core
    from tests.fakes.chat import FakeChat
    from tests.fakes.triage import KeywordTriager

    services = build_core(
        friday_config, secrets, clock=clock, triager=KeywordTriager(), migrate=False
    )
    try:
        runtime = Runtime(services, adapters={"matrix": FakeChat("matrix")})
        trigger = runtime.scheduler.jobs["weekly"].trigger
        assert fire_times(trigger, warsaw(2026, 10, 21, 12, 0), 2) == [
            datetime(2026, 10, 23, 14, 30, tzinfo=UTC),
            datetime(2026, 10, 30, 15, 30, tzinfo=UTC),
        ]
    finally:
        services.db.dispose()


async def test_the_scheduled_job_queues_the_report(runtime, services, clock):
    clock.set(warsaw(2026, 11, 30, 9, 0))
    await runtime.scheduler.run_now("weekly")
    assert [i.idempotency_key for i in weekly_items(services)] == ["weekly:2026-W48"]


def test_the_report_over_a_dst_change_is_keyed_by_its_iso_week(services, clock):
    # 19.10-25.10.2026 holds the October change: 169 hours, still ISO week 43.
    weekly = prepare(services.ctx, warsaw(2026, 10, 26, 9, 0))
    assert weekly.key == "weekly:2026-W43"
    assert (weekly.report.end - weekly.report.start).total_seconds() == 169 * 3600
    assert [day.day.day for day in weekly.report.days] == [19, 20, 21, 22, 23, 24, 25]


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"weekly_day": 7}, r"managers\.weekly_day"),
        ({"weekly_day": -1}, r"managers\.weekly_day"),
        ({"weekly_time": "25:00"}, r"managers\.weekly_time"),
    ],
)
def test_a_bad_weekly_schedule_is_refused_naming_the_key(values, named):
    with pytest.raises(ConfigError, match=named):
        parse_config({"managers": values})


def test_the_cli_prints_the_report_writes_the_chart_and_queues_it(tmp_path):
    from typer.testing import CliRunner

    from pomoc.cli import app
    from storage.db import Database

    config = tmp_path / "pomoc.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path}/cli.db"\n'
        f'[attachments]\ndirectory = "{tmp_path}/files"\n'
        '[managers]\nplatform = "matrix"\nchannel = "!managers:test"\n'
    )
    chart = tmp_path / "chart.png"
    runner = CliRunner()
    first = runner.invoke(app, ["report", "weekly", "--png", str(chart), "--send", "-c", config])
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("📊 Pomoc: raport tygodniowy ")
    page = first.stdout.splitlines()[-1]  # the link the report carries, printed after it
    assert page.startswith("Szczegóły i CSV: ") and "/managers?days=7&exp=" in page
    assert Image.open(chart).size == (1200, 1500)
    assert "queued for the managers' channel (weekly:" in first.stderr

    db = Database(f"sqlite:///{tmp_path}/cli.db")
    try:
        with db.transaction() as session:
            (item,) = session.exec(select(OutboxItem)).all()
        today = datetime.now(WARSAW).date()  # the week before the current one is reported
        year, week, _ = (today - timedelta(days=7)).isocalendar()
        assert item.idempotency_key == f"weekly:{year}-W{week:02d}"
        assert item.payload["link"] == {"url": page.split(": ", 1)[1], "label": "Szczegóły i CSV"}
        assert (tmp_path / "files" / item.payload["picture"]["storage_key"]).read_bytes() == (
            chart.read_bytes()
        )
    finally:
        db.dispose()
