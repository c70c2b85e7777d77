"""Jinja2 rendering of the web inbox: autoescaped templates, Polish formats, security headers."""

import re
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import TypedDict
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup

from bot import richtext, texts
from bot.config import AttachmentsConfig, SupportHoursConfig
from bot.core import Core
from bot.ratings import stars
from bot.validation import COMMENT_MAX_CHARS, SCORE_MAX, SCORE_MIN

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# No inline script or style anywhere: the page's JS and CSS are static files.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
TYPE_LABELS = {
    "image/png": "PNG",
    "image/jpeg": "JPG",
    "image/gif": "GIF",
    "image/webp": "WebP",
    "application/pdf": "PDF",
}
WEEKDAYS = ("pon.", "wt.", "śr.", "czw.", "pt.", "sob.", "niedz.")
_HTTP_URL = re.compile(r"https?://[^\s<>\"']+")


def _local(value: datetime, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%d.%m.%Y, %H:%M")


def _day(value: datetime, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%d.%m.%Y")


def _size(value: int) -> str:
    if value >= 1024 * 1024:
        return f"{value / (1024 * 1024):.1f} MB".replace(".", ",")
    return f"{max(1, round(value / 1024))} KB"


def _http_url(value: str | None) -> str:
    """The URL if it is plain http(s); anything else (javascript:, data:) is never a link."""
    return value if value and _HTTP_URL.fullmatch(value) else ""


env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters.update(local=_local, day=_day, size=_size, http_url=_http_url, stars=stars)
# A message's text: an agent's formatting sanitised again here, else plain text with links.
env.filters["rich"] = lambda body, body_html=None: Markup(richtext.render(body, body_html))
env.globals["texts"] = texts
env.globals.update(SCORE_MIN=SCORE_MIN, SCORE_MAX=SCORE_MAX, COMMENT_MAX_CHARS=COMMENT_MAX_CHARS)


def hours_label(config: SupportHoursConfig) -> str:
    """E.g. "pon.–pt. 8:00–18:00" for the rules reminder."""
    days = sorted(config.working_days)
    if days == list(range(days[0], days[-1] + 1)) and len(days) > 2:
        span = f"{WEEKDAYS[days[0]]}–{WEEKDAYS[days[-1]]}"
    else:
        span = ", ".join(WEEKDAYS[day] for day in days)
    opens, closes = time.fromisoformat(config.opens), time.fromisoformat(config.closes)
    return f"{span} {opens.hour}:{opens.minute:02d}–{closes.hour}:{closes.minute:02d}"


def attachment_limits(config: AttachmentsConfig) -> dict[str, object]:
    """What the form shows (and its JS checks) before anything is uploaded."""
    labels = [TYPE_LABELS.get(kind, kind.split("/")[-1].upper()) for kind in config.allowed_types]
    return {
        "max_files": config.max_files,
        "max_bytes": config.max_bytes,
        "max_mb": config.max_bytes // (1024 * 1024),
        "types": ", ".join(labels),
        "accept": ",".join(config.allowed_types),
    }


class PageContext(TypedDict):
    """What every template may use: the time zone, the CSRF token, the retention period."""

    tz: ZoneInfo
    csrf_token: str
    retention: timedelta


def context(app: Core, request: Request) -> PageContext:
    return PageContext(
        tz=ZoneInfo(app.config.support_hours.timezone),
        csrf_token=getattr(request.state, "csrf_token", ""),
        retention=timedelta(days=app.config.retention.resolved_days),
    )


def fragment(name: str, **values: object) -> str:
    return env.get_template(name).render(**values)


def page(name: str, *, status: int = 200, **values: object) -> HTMLResponse:
    return HTMLResponse(fragment(name, **values), status_code=status, headers=SECURITY_HEADERS)
