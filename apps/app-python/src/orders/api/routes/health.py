"""Probes: /healthz/live (process up), /healthz/ready (queue and table reachable),
/healthz/startup (start-up finished)."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from opentelemetry.instrumentation.utils import suppress_instrumentation

from orders.api.deps import Container, get_container
from orders.errors import DependencyUnavailable

router = APIRouter(prefix="/healthz", tags=["health"])
log = logging.getLogger(__name__)


@router.get("/live")
def live() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/startup")
def startup(request: Request) -> JSONResponse:
    if getattr(request.app.state, "started", False):
        return JSONResponse({"status": "started"})
    return JSONResponse({"status": "starting"}, status_code=503)


@router.get("/ready")
def ready(container: Annotated[Container, Depends(get_container)]) -> JSONResponse:
    checks: dict[str, str] = {}
    for name, ping in (
        ("queue", container.probe_queue.ping),
        ("table", container.probe_table.ping),
    ):
        try:
            with suppress_instrumentation():  # probes are not traced
                ping()
            checks[name] = "ok"
        except DependencyUnavailable as exc:
            checks[name] = exc.reason
    ok = all(value == "ok" for value in checks.values())
    if not ok:
        log.warning("not ready", extra={"checks": checks})
    return JSONResponse(
        {"status": "ready" if ok else "not ready", "checks": checks},
        status_code=200 if ok else 503,
    )
