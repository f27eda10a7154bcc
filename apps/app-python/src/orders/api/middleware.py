"""Access log (inside the request's span, so it carries the trace ids) and fault injection."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from orders.api.deps import get_container
from orders.telemetry import semconv

log = logging.getLogger("orders.api.access")
FAULT_PATH_PREFIX = "/orders"

Handler = Callable[[Request], Awaitable[Response]]


async def access_log_and_faults(request: Request, call_next: Handler) -> Response:
    started = time.perf_counter()
    response = await _inject_faults(request, call_next)
    route = request.scope.get("route")
    path_template = getattr(route, "path", None)
    level = logging.DEBUG if request.url.path.startswith("/healthz") else logging.INFO
    log.log(
        level,
        "request",
        extra={
            "http.request.method": request.method,
            "url.path": request.url.path,
            "http.route": path_template,
            "http.response.status_code": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
        },
    )
    return response


async def _inject_faults(request: Request, call_next: Handler) -> Response:
    if not request.url.path.startswith(FAULT_PATH_PREFIX):
        return await call_next(request)
    container = get_container(request)
    faults = await run_in_threadpool(container.faults.current)
    if faults.latency_ms:
        container.instruments.faults_injected.add(1, {semconv.FAULT_TYPE: "latency"})
        log.warning("injected fault: added latency", extra={"delay_ms": faults.latency_ms})
        await asyncio.sleep(faults.latency_ms / 1000)
    if faults.error_rate and random.random() < faults.error_rate:  # noqa: S311 - not crypto
        container.instruments.faults_injected.add(1, {semconv.FAULT_TYPE: "error"})
        log.warning("injected fault: error response", extra={"error_rate": faults.error_rate})
        return JSONResponse({"detail": "injected fault: error"}, status_code=500)
    return await call_next(request)
