"""Readiness for load balancers and operators: `GET /readyz` says what needs attention."""

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from adapters.panel.auth import core
from bot.readiness import readiness

router = APIRouter(tags=["ops"])


@router.get("/readyz", include_in_schema=False)
async def readyz(request: Request) -> JSONResponse:
    """200 "ok" or "degraded" (with the problems, e.g. a blocked channel); 503 without a
    database. A degraded instance still serves the panel: keep it in the load balancer."""
    state = await run_in_threadpool(readiness, core(request).ctx)
    body = {"status": state.status, "problems": list(state.problems)}
    return JSONResponse(body, status_code=200 if state.ready else 503)
