"""Support hours: opening times, Polish holidays, DST, and support minutes between instants."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config import SupportHoursConfig, parse_config
from bot.errors import ConfigError
from bot.hours import SupportHours, WallClock
from tests.scheduling.conftest import warsaw

HOURS = SupportHours(SupportHoursConfig())


def test_friday_evening_closes_at_six():
    assert HOURS.is_open(warsaw(2026, 11, 27, 17, 59))
    assert not HOURS.is_open(warsaw(2026, 11, 27, 18, 1))
    assert not HOURS.is_open(warsaw(2026, 11, 27, 18, 0))  # closing time is exclusive
    assert HOURS.is_open(warsaw(2026, 11, 27, 8, 0))
    assert not HOURS.is_open(warsaw(2026, 11, 27, 7, 59))


def test_weekends_are_closed_and_queue_to_monday():
    saturday = warsaw(2026, 11, 28, 11, 0)
    assert not HOURS.is_open(saturday)
    assert HOURS.next_opening(saturday) == warsaw(2026, 11, 30, 8, 0)
    assert HOURS.next_opening(warsaw(2026, 11, 27, 18, 1)) == warsaw(2026, 11, 30, 8, 0)


@pytest.mark.parametrize("day", ["2026-11-11", "2026-12-24", "2026-12-25", "2026-12-26"])
def test_polish_public_holidays_are_closed(day):
    noon = datetime.fromisoformat(f"{day}T12:00").replace(tzinfo=HOURS.zone)
    assert not HOURS.is_open(noon)
    assert HOURS.holiday_name(noon.date())


def test_christmas_queues_to_the_monday_after():
    # Wednesday 23.12 evening: Thursday 24th, Friday 25th, the weekend: Monday 28th.
    evening = warsaw(2026, 12, 23, 18, 30)
    opening = HOURS.next_opening(evening)
    assert opening == warsaw(2026, 12, 28, 8, 0)
    assert HOURS.describe_opening(opening, evening) == "w poniedziałek (28.12) od 8:00"


def test_independence_day_queues_to_the_next_morning():
    holiday = warsaw(2026, 11, 11, 10, 0)
    opening = HOURS.next_opening(holiday)
    assert opening == warsaw(2026, 11, 12, 8, 0)
    assert HOURS.describe_opening(opening, holiday) == "jutro od 8:00"


def test_extra_closed_days_and_no_holidays():
    hours = SupportHours(SupportHoursConfig(extra_closed_days=("2026-11-30",), holidays_country=""))
    assert hours.next_opening(warsaw(2026, 11, 28, 9, 0)) == warsaw(2026, 12, 1, 8, 0)
    assert hours.is_open(warsaw(2026, 11, 11, 9, 0))  # no holiday calendar at all


def test_describe_opening_in_polish():
    early = warsaw(2026, 11, 25, 6, 0)
    assert HOURS.describe_opening(HOURS.next_opening(early), early) == "dziś od 8:00"
    monday_night = warsaw(2026, 11, 30, 23, 0)
    assert HOURS.describe_opening(HOURS.next_opening(monday_night), monday_night) == (
        "jutro od 8:00"
    )
    friday = warsaw(2026, 11, 27, 20, 0)
    assert HOURS.describe_opening(HOURS.next_opening(friday), friday) == (
        "w poniedziałek (30.11) od 8:00"
    )
    sunday = warsaw(2026, 11, 29, 12, 0)
    tuesday = warsaw(2026, 12, 1, 8, 0)
    assert HOURS.describe_opening(tuesday, sunday) == "we wtorek (01.12) od 8:00"


@pytest.mark.parametrize(
    ("friday", "monday", "utc_friday", "utc_monday"),
    [
        # Last Sunday of March: CET (+1) -> CEST (+2).
        ((2026, 3, 27), (2026, 3, 30), 7, 6),
        # Last Sunday of October: CEST (+2) -> CET (+1).
        ((2026, 10, 23), (2026, 10, 26), 6, 7),
    ],
)
def test_opening_hours_follow_the_dst_change(friday, monday, utc_friday, utc_monday):
    assert warsaw(*friday, 8, 0).hour == utc_friday
    assert HOURS.next_opening(warsaw(*friday, 18, 0)) == datetime(*monday, utc_monday, tzinfo=UTC)
    assert HOURS.is_open(warsaw(*monday, 8, 0))
    assert not HOURS.is_open(warsaw(*monday, 8, 0) - timedelta(minutes=1))
    # One hour on Friday and one on Monday, whatever the clocks did on Sunday.
    assert HOURS.support_minutes_between(warsaw(*friday, 17, 0), warsaw(*monday, 9, 0)) == 120
    assert HOURS.deadline(warsaw(*friday, 17, 30), 60) == warsaw(*monday, 8, 30)


def test_a_night_shift_across_the_spring_gap_is_two_hours_long():
    night = SupportHours(
        SupportHoursConfig(working_days=(0, 1, 2, 3, 4, 5, 6), opens="01:00", closes="04:00")
    )
    dst_sunday = (2026, 3, 29)
    assert night.support_minutes_between(warsaw(*dst_sunday, 0, 0), warsaw(*dst_sunday, 5, 0)) == (
        120
    )
    assert night.support_minutes_between(warsaw(2026, 3, 28, 0), warsaw(2026, 3, 28, 5)) == 180


def test_support_minutes_stop_outside_hours():
    wednesday = warsaw(2026, 11, 25, 17, 0)
    assert HOURS.support_minutes_between(wednesday, warsaw(2026, 11, 26, 9, 0)) == 120
    assert HOURS.support_minutes_between(warsaw(2026, 11, 28, 9), warsaw(2026, 11, 29, 20)) == 0
    assert HOURS.support_minutes_between(wednesday, wednesday - timedelta(hours=1)) == 0
    # Friday 10:00 -> Monday 10:00 across a full weekend: 8 h Friday + 2 h Monday.
    assert HOURS.support_minutes_between(warsaw(2026, 11, 27, 10), warsaw(2026, 11, 30, 10)) == 600


def test_deadline_skips_nights_weekends_and_holidays():
    assert HOURS.deadline(warsaw(2026, 11, 25, 10, 0), 240) == warsaw(2026, 11, 25, 14, 0)
    assert HOURS.deadline(warsaw(2026, 11, 27, 16, 0), 240) == warsaw(2026, 11, 30, 10, 0)
    assert HOURS.deadline(warsaw(2026, 11, 28, 3, 0), 30) == warsaw(2026, 11, 30, 8, 30)
    assert HOURS.deadline(warsaw(2026, 11, 10, 17, 0), 120) == warsaw(2026, 11, 12, 9, 0)
    assert HOURS.deadline(warsaw(2026, 11, 25, 17, 0), 60) == warsaw(2026, 11, 25, 18, 0)


def test_the_wall_clock_never_closes():
    saturday = warsaw(2026, 11, 28, 23, 0)
    assert WallClock().deadline(saturday, 30) == saturday + timedelta(minutes=30)
    assert WallClock().support_minutes_between(saturday, saturday + timedelta(hours=2)) == 120


instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)


@given(start=instants, minutes=st.integers(min_value=0, max_value=20_000))
def test_deadline_and_support_minutes_agree(start, minutes):
    end = HOURS.deadline(start, minutes)
    assert HOURS.support_minutes_between(start, end) == pytest.approx(minutes)
    assert end >= start
    if minutes:
        assert HOURS.is_open(end - timedelta(seconds=1))


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"opens": "18:00", "closes": "08:00"}, "opens must be earlier than closes"),
        ({"timezone": "Europe/Nowhere"}, "support_hours.timezone"),
        ({"working_days": [7]}, "support_hours.working_days"),
        ({"opens": "8"}, "support_hours.opens"),
        ({"extra_closed_days": ["24.12.2026"]}, "support_hours.extra_closed_days"),
    ],
)
def test_bad_support_hours_are_refused_at_start(section, message):
    with pytest.raises(ConfigError, match=message):
        parse_config({"support_hours": section})
