"""Managers' read-only page: the report of the last 7 or 30 days, and the same as CSV."""

# Reached like the agents' ticket page: a signed, expiring link (bot/agent_links.py) from the
# weekly report or `pomoc managers link`; no shop session, nothing else opens with it. The
# figures are `bot.reports.collect`'s, the same as the weekly report's.

from collections.abc import Callable
from datetime import datetime, time, timedelta
from enum import IntEnum
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from adapters.panel.auth import CoreDep
from adapters.panel.web import render
from adapters.panel.web.agent_page import PRIVATE, Expires, Signature
from adapters.panel.web.managers_csv import number, to_csv
from bot import catalogue as cat
from bot import report_catalogue as rcat
from bot.context import Context
from bot.core import Core
from bot.hours import SupportHours
from bot.report_data import Report
from bot.report_text import duration, share
from bot.reports import collect


class Period(IntEnum):
    """The periods the page offers, in days."""

    WEEK = 7
    MONTH = 30


Days = Annotated[Period, Query()]
ReportSource = Callable[..., Report]  # called as `collect(ctx, start=..., end=...)`
router = APIRouter(include_in_schema=False)


def report_source() -> ReportSource:
    """What computes the figures; a test may put a report of its own in its place."""
    return collect


SourceDep = Annotated[ReportSource, Depends(report_source)]


def period(now: datetime, hours: SupportHours, days: int) -> tuple[datetime, datetime]:
    """The last `days` local calendar days, today so far the last of them."""
    first = hours.local_date(now) - timedelta(days=days - 1)
    return hours.local_instant(first, time(0)), now


def minutes(value: float | None) -> str:
    return "–" if value is None else duration(value)


def _refused(app: Core) -> HTMLResponse:
    language = app.config.chat.language
    message = cat.text(rcat.MANAGERS_LINK_INVALID, language)
    html = render.fragment("agent_refused.html", language=language, message=message)
    return HTMLResponse(html, status_code=403, headers=PRIVATE)


async def _report(ctx: Context, source: ReportSource, days: int) -> Report:
    start, end = period(ctx.clock.now(), ctx.hours, days)
    return await run_in_threadpool(lambda: source(ctx, start=start, end=end))


def _allowed(app: Core, exp: int, sig: str) -> bool:
    links = app.ctx.agent_links
    return links.managers_valid(expires=exp, signature=sig, now=app.ctx.clock.now())


@router.get("/managers")
async def managers_page(
    request: Request,
    app: CoreDep,
    source: SourceDep,
    days: Days = Period.WEEK,
    exp: Expires = 0,
    sig: Signature = "",
) -> Response:
    if not _allowed(app, exp, sig):
        return _refused(app)
    report = await _report(app.ctx, source, days)
    language = app.config.chat.language
    html = render.fragment(
        "managers.html",
        report=report,
        days=days.value,
        query=f"exp={exp}&sig={sig}",
        language=language,
        cat=cat,
        rcat=rcat,
        minutes=minutes,
        share=share,
        number=lambda value: number(value, language),
        **render.context(app, request),
    )
    return HTMLResponse(html, headers=PRIVATE)


@router.get("/managers.csv")
async def managers_csv(
    app: CoreDep,
    source: SourceDep,
    days: Days = Period.WEEK,
    exp: Expires = 0,
    sig: Signature = "",
) -> Response:
    if not _allowed(app, exp, sig):
        return _refused(app)
    report = await _report(app.ctx, source, days)
    day = app.ctx.hours.local_date(report.end).isoformat()
    disposition = f'attachment; filename="pomoc-{days.value}-{day}.csv"'
    return Response(
        to_csv(report, app.config.chat.language),
        media_type="text/csv; charset=utf-8",
        headers={**PRIVATE, "Content-Disposition": disposition},
    )
