"""The shop owner's web inbox ("POMOC"): server-rendered pages, a session cookie, live updates."""

import logging
import re

from fastapi import APIRouter, FastAPI

from adapters.panel import badge
from adapters.panel.web import agent_page, live, login, managers_page, pages
from adapters.panel.web.session import PanelSessions, Sessions

router = APIRouter()
router.include_router(pages.router)
router.include_router(login.router)
router.include_router(live.router)
router.include_router(badge.router)
router.include_router(agent_page.router)
router.include_router(managers_page.router)


class RedactLoginToken(logging.Filter):
    """Keeps a shop token someone put in an old-style login URL (`/panel/login?token=...`, now
    refused) out of access logs."""

    pattern = re.compile(r"([?&]token=)[^&\s\"]+")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                self.pattern.sub(r"\1***", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        return True


REDACT_LOGIN_TOKEN = RedactLoginToken()


def install_sessions(app: FastAPI, *, secret: str) -> None:
    """Let browsers in by cookie (after the login link) on the inbox and the panel API."""
    sessions = Sessions(secret)
    app.state.sessions = sessions
    app.add_middleware(PanelSessions, sessions=sessions)
    logging.getLogger("uvicorn.access").addFilter(REDACT_LOGIN_TOKEN)


__all__ = ["install_sessions", "router"]
