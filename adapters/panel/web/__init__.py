"""The shop owner's web inbox ("POMOC"): server-rendered pages, a session cookie, live updates."""

import logging
import re

from fastapi import APIRouter, FastAPI

from adapters.panel.web import live, pages
from adapters.panel.web.session import PanelSessions, SessionSigner

router = APIRouter()
router.include_router(pages.router)
router.include_router(live.router)


class RedactLoginToken(logging.Filter):
    """Keeps the shop token of a login link (`/panel/login?token=...`) out of access logs."""

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
    signer = SessionSigner(secret)
    app.state.session_signer = signer
    app.add_middleware(PanelSessions, signer=signer)
    logging.getLogger("uvicorn.access").addFilter(REDACT_LOGIN_TOKEN)


__all__ = ["install_sessions", "router"]
