"""The weekly chart: a PNG a phone shows well, from the report's figures, the same every time."""

import io
import warnings
from datetime import UTC, date, datetime

from PIL import Image

from bot import charts
from bot.config import SupportHoursConfig
from bot.hours import SupportHours
from bot.report_data import DayCounts, Report, Satisfaction, Timing, TriageQuality
from bot.vocabulary import Priority

HOURS = SupportHours(SupportHoursConfig())  # Europe/Warsaw
LIMIT_BYTES = 250_000  # Slack and Matrix take far more; a phone on mobile data should not wait


def week(**changes) -> Report:
    """23-29.11.2026: a busy Monday, a quiet weekend; one p90 past its target."""
    figures = [(14, 3, 9), (11, 2, 12), (9, 4, 8), (12, 1, 10), (8, 2, 7), (3, 1, 1), (2, 0, 1)]
    days = tuple(
        DayCounts(date(2026, 11, 23 + n), opened, deflected, resolved, working_day=n < 5)
        for n, (opened, deflected, resolved) in enumerate(figures)
    )
    values = dict(
        start=datetime(2026, 11, 22, 23, tzinfo=UTC),
        end=datetime(2026, 11, 29, 23, tzinfo=UTC),
        opened=59,
        deflected=13,
        resolved=48,
        days=days,
        departments=(),
        first_response=(
            Timing(Priority.CRITICAL, 4, 18.0, 41.0, 30, 3),
            Timing(Priority.NORMAL, 50, 95.0, 310.0, 240, 44),
        ),
        resolution=(Timing(Priority.NORMAL, 44, 900.0, 2100.0, 2400, 41),),
        breaches=3,
        off_hours_handled=4,
        triage=TriageQuality(50, 3, 2),
        satisfaction=Satisfaction(0, None, dict.fromkeys(range(1, 6), 0)),
    )
    return Report(**{**values, **changes})


def decoded(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image.convert("RGB")


def rgb(colour: str) -> tuple[int, int, int]:
    return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))


def pixels_of(image: Image.Image, colour: str) -> int:
    return sum(count for count, value in image.getcolors(maxcolors=1 << 20) if value == rgb(colour))


def times_chart(image: Image.Image) -> Image.Image:
    """The lower half: the times chart, below the days chart and its legend. MEDIAN is the
    days' OPENED blue, so only here do its pixels tell the median bars."""
    return image.crop((0, image.height // 2, image.width, image.height))


def widest_run(image: Image.Image, colour: str) -> int:
    """The most pixels of `colour` in one pixel row: the top or bottom edge of an over-target
    outline is a bar wide, the dashed vertical target line a few pixels."""
    pixels = image.load()
    return max(
        sum(pixels[x, y] == rgb(colour) for x in range(image.width)) for y in range(image.height)
    )


def test_the_chart_is_a_phone_sized_png_showing_every_series():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a glyph missing from the font (ą, ś, ź...) warns
        png = charts.weekly_chart(week(), language="pl", hours=HOURS)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(png) < LIMIT_BYTES
    image = decoded(png)
    assert image.size == (1200, 1500)
    # Bars of every series, the shaded weekend and the target line are all drawn.
    for colour in (
        charts.OPENED,
        charts.DEFLECTED,
        charts.RESOLVED,
        charts.DAY_OFF,
        charts.P90,
        charts.OVER_TARGET,
    ):
        assert pixels_of(image, colour) > 500, colour
    # The median bars (the legend's patch alone is under 2,000 px), and the outline of the two
    # p90 bars past their target (the legend's outlined patch is under 100 px wide).
    assert pixels_of(times_chart(image), charts.MEDIAN) > 10_000
    assert widest_run(times_chart(image), charts.OVER_TARGET) > 200
    assert pixels_of(image, "#FFFFFF") > image.width * image.height // 2  # mostly white: contrast


def test_the_same_report_gives_the_same_bytes_without_a_software_stamp():
    png = charts.weekly_chart(week(), language="pl", hours=HOURS)
    assert charts.weekly_chart(week(), language="pl", hours=HOURS) == png
    assert "Software" not in Image.open(io.BytesIO(png)).info
    # The labels follow the language.
    assert charts.weekly_chart(week(), language="en", hours=HOURS) != png


def test_a_week_without_timed_tickets_still_draws_its_days():
    empty_days = tuple(
        DayCounts(date(2026, 12, 21 + n), 0, 0, 0, working_day=n not in (3, 4, 5, 6))
        for n in range(7)  # Christmas week: Thursday 24.12 to Sunday closed
    )
    report = week(
        opened=0, deflected=0, resolved=0, days=empty_days, first_response=(), resolution=()
    )
    image = decoded(charts.weekly_chart(report, language="pl", hours=HOURS))
    assert image.size == (1200, 1500)
    # Four days off shaded, twice as much grey as a week with only its weekend off.
    usual = pixels_of(
        decoded(charts.weekly_chart(week(), language="pl", hours=HOURS)), charts.DAY_OFF
    )
    assert pixels_of(image, charts.DAY_OFF) > 2 * usual
    # The legend's patches (under 2,000 px each), no bars; no times, so no target line.
    assert pixels_of(image, charts.OPENED) < 2_000
    assert pixels_of(image, charts.RESOLVED) < 2_000
    assert pixels_of(image, charts.OVER_TARGET) == 0


def test_the_alt_text_names_the_period_and_totals():
    assert charts.alt_text(week(), language="pl", hours=HOURS) == (
        "Wykres tygodnia 23.11 – 29.11.2026: 59 nowych, 13 rozwiązanych artykułem, "
        "48 rozwiązanych przez zespół."
    )
    assert charts.alt_text(week(), language="en", hours=HOURS) == (
        "Chart of the week 23.11 – 29.11.2026: 59 opened, 13 solved by an article, "
        "48 resolved by support."
    )


def test_a_report_without_days_names_its_local_instants_as_the_text_does():
    assert charts.alt_text(week(days=()), language="pl", hours=HOURS).startswith(
        "Wykres tygodnia 23.11 00:00 – 30.11 00:00: 59 nowych"
    )
