"""The weekly report's picture: tickets day by day and times against the SLA targets, as a PNG."""

# Drawn with matplotlib's object API on the Agg canvas: no pyplot, so no figure outlives a
# render and no display backend is needed (the style is set for the one render only). Sized
# for a phone: 1200 px wide, large type, high-contrast colours (the Okabe-Ito palette,
# distinguishable with colour blindness), every bar labelled with its number so nothing needs
# to be read off an axis.

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator, PercentFormatter
from matplotlib.typing import RcKeyType

from bot import catalogue, report_catalogue
from bot.catalogue import Language, text
from bot.hours import SupportHours
from bot.report_data import DayCounts, Report, Timing
from bot.report_text import duration, period

WIDTH_PX, HEIGHT_PX, DPI = 1200, 1500, 100
OPENED, DEFLECTED, RESOLVED = "#0072B2", "#E69F00", "#009E73"
MEDIAN, P90, OVER_TARGET = "#0072B2", "#56B4E9", "#D55E00"
DAY_OFF = "#E4E4E4"
INK = "#1A1A1A"
# Text over the target line and the grid: on a white box, drawn above them, so it stays legible.
ON_WHITE: dict[str, Any] = {
    "bbox": {"facecolor": "white", "edgecolor": "none", "pad": 0},
    "zorder": 4,
}
# Bars past this share of the target are cut at it (their label still says the real time),
# so one very late ticket does not squash every other bar.
MAX_SHARE = 3.0
STYLE: dict[RcKeyType, Any] = {
    "font.family": "DejaVu Sans",  # shipped with matplotlib; has every Polish letter
    "font.size": 22,
    "axes.titlesize": 28,
    "axes.titleweight": "bold",
    "axes.labelsize": 22,
    "xtick.labelsize": 22,
    "ytick.labelsize": 22,
    "legend.fontsize": 21,
    "text.color": INK,
    "axes.labelcolor": INK,
    "xtick.color": INK,
    "ytick.color": INK,
    "axes.edgecolor": INK,
}


def weekly_chart(report: Report, *, language: Language | str, hours: SupportHours) -> bytes:
    """The report's two charts, one above the other, as PNG bytes (the same report -> the
    same bytes)."""
    with matplotlib.rc_context(STYLE):
        figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, facecolor="white")
        FigureCanvasAgg(figure)
        days, times = figure.subplots(2, 1, height_ratios=(1.0, 1.45))
        start, end = period(report, hours)
        title = text(report_catalogue.CHART_TITLE, language, start=start, end=end)
        figure.suptitle(title, fontsize=32, fontweight="bold", x=0.03, ha="left")
        _draw_days(days, report.days, language)
        _draw_times(times, _rows(report, language), language)
        figure.tight_layout(rect=(0, 0, 1, 0.96), h_pad=2.5)
        out = io.BytesIO()
        # No "Software" entry (it names the matplotlib version): the bytes depend on the report.
        figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def alt_text(report: Report, *, language: Language | str, hours: SupportHours) -> str:
    """What the picture shows, in one sentence, for screen readers and chat previews."""
    start, end = period(report, hours)
    return text(
        report_catalogue.CHART_ALT,
        language,
        start=start,
        end=end,
        opened=report.opened,
        deflected=report.deflected,
        resolved=report.resolved,
    )


def _day_label(day: DayCounts, language: Language | str) -> str:
    weekday = text(report_catalogue.WEEKDAYS[day.day.weekday()], language)
    return f"{weekday}\n{day.day:%d.%m}"


def _draw_days(axes: Axes, days: tuple[DayCounts, ...], language: Language | str) -> None:
    """Per day: the tickets opened beside those closed (by an article, then by support,
    stacked); days off shaded."""
    axes.set_title(text(report_catalogue.CHART_DAYS, language), loc="left", pad=16)
    positions = range(len(days))
    for x, day in zip(positions, days, strict=True):
        if not day.working_day:
            axes.axvspan(x - 0.5, x + 0.5, color=DAY_OFF, zorder=0, linewidth=0)
    width = 0.38
    left = [x - width / 2 for x in positions]
    right = [x + width / 2 for x in positions]
    opened = [d.opened for d in days]
    deflected = [d.deflected for d in days]
    resolved = [d.resolved for d in days]
    bars = axes.bar(left, opened, width, color=OPENED, zorder=2)
    axes.bar_label(bars, labels=[str(n) if n else "" for n in opened], padding=3, fontsize=20)
    axes.bar(right, deflected, width, color=DEFLECTED, zorder=2)
    closed = axes.bar(right, resolved, width, bottom=deflected, color=RESOLVED, zorder=2)
    totals = [a + b for a, b in zip(deflected, resolved, strict=True)]
    axes.bar_label(closed, labels=[str(n) if n else "" for n in totals], padding=3, fontsize=20)
    axes.set_xticks(list(positions), [_day_label(d, language) for d in days])
    axes.set_xlim(-0.5, len(days) - 0.5)
    axes.set_ylim(0, max([*opened, *totals, 1]) * 1.15)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(axis="y", color="#BBBBBB", linewidth=0.8, zorder=1)
    axes.spines[["top", "right"]].set_visible(False)
    legend = [
        Patch(color=OPENED, label=text(report_catalogue.CHART_OPENED, language)),
        Patch(color=DEFLECTED, label=text(report_catalogue.CHART_DEFLECTED, language)),
        Patch(color=RESOLVED, label=text(report_catalogue.CHART_RESOLVED, language)),
        Patch(color=DAY_OFF, label=text(report_catalogue.CHART_DAY_OFF, language)),
    ]
    axes.legend(handles=legend, ncols=2, loc="upper left", bbox_to_anchor=(0, -0.25), frameon=False)


@dataclass(frozen=True, slots=True)
class _Row:
    """One bar pair of the times chart: a priority's first response or resolution."""

    label: str
    median: float
    p90: float
    target: int


def _rows(report: Report, language: Language | str) -> list[_Row]:
    def rows(timings: tuple[Timing, ...], what: catalogue.Entry) -> Iterator[_Row]:
        for timing in timings:
            if timing.target and timing.median is not None and timing.p90 is not None:
                priority = catalogue.priority_label(timing.priority, language)
                target = text(
                    report_catalogue.CHART_TARGET, language, target=duration(timing.target)
                )
                label = f"{priority} · {text(what, language)} ({target})"
                yield _Row(label, timing.median, timing.p90, timing.target)

    return [
        *rows(report.first_response, report_catalogue.CHART_FIRST_RESPONSE),
        *rows(report.resolution, report_catalogue.CHART_RESOLUTION),
    ]


def _draw_times(axes: Axes, rows: list[_Row], language: Language | str) -> None:
    """Median and p90 as a share of the target: one scale for minutes and days alike, the
    target a line at 100%; bars past it in vermillion."""
    axes.set_title(text(report_catalogue.CHART_TIMES, language), loc="left", pad=16)
    axes.spines[["top", "right", "left"]].set_visible(False)
    if not rows:
        axes.set_axis_off()
        axes.text(
            0.5, 0.5, text(report_catalogue.CHART_NO_TIMES, language), ha="center", va="center"
        )
        return
    # Each row's label stands above its two bars, not beside them: the bars keep the width.
    height, pitch = 0.32, 1.5
    for number, row in enumerate(rows):
        y = number * pitch
        axes.text(0, y - 0.08, row.label, va="bottom", ha="left", fontweight="bold", **ON_WHITE)
        for offset, value, colour in ((0.04, row.median, MEDIAN), (0.1 + height, row.p90, P90)):
            share = value / row.target
            bar = axes.barh(
                y + offset + height / 2,
                min(share, MAX_SHARE),
                height,
                color=colour,
                edgecolor=OVER_TARGET if share > 1 else colour,
                linewidth=4 if share > 1 else 0,
                zorder=2,
            )
            axes.bar_label(bar, labels=[duration(value)], padding=6, fontsize=20, **ON_WHITE)
    axes.axvline(1.0, color=OVER_TARGET, linewidth=3, linestyle="--", zorder=3)
    axes.set_yticks([])
    axes.set_ylim(len(rows) * pitch - 0.6, -0.7)  # the first row on top, as it is read
    longest = max(min(max(row.p90, row.median) / row.target, MAX_SHARE) for row in rows)
    axes.set_xlim(0, max(longest, 1.0) * 1.35)  # room for the labels right of the bars
    axes.xaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
    axes.grid(axis="x", color="#BBBBBB", linewidth=0.8, zorder=1)
    legend = [
        Patch(color=MEDIAN, label=text(report_catalogue.CHART_MEDIAN, language)),
        Patch(color=P90, label=text(report_catalogue.CHART_P90, language)),
        Patch(
            facecolor="white",
            edgecolor=OVER_TARGET,
            linewidth=4,
            label=text(report_catalogue.CHART_OVER_TARGET, language),
        ),
        Line2D(
            [],
            [],
            color=OVER_TARGET,
            linewidth=3,
            linestyle="--",
            label=text(report_catalogue.CHART_TARGET_LINE, language),
        ),
    ]
    axes.legend(handles=legend, ncols=2, loc="upper left", bbox_to_anchor=(0, -0.08), frameon=False)
