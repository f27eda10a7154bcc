"""The API application: wiring only (settings, adapters, services, routes, handlers)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from orders import __version__
from orders.adapters import aws
from orders.adapters.dynamodb import OrdersTable
from orders.adapters.sqs import OrdersQueue
from orders.api.deps import Container
from orders.api.middleware import access_log_and_faults
from orders.api.routes import admin, health
from orders.api.routes import orders as orders_routes
from orders.domain.faults import Faults
from orders.errors import DependencyUnavailable, IdempotencyConflict, OrderNotFound
from orders.services.faults import FaultFlags
from orders.services.ordering import OrderService
from orders.services.queue_depth import QueueDepth, QueueDepthPoller
from orders.settings import Settings
from orders.telemetry.metrics import Instruments

log = logging.getLogger(__name__)

PROBE_TIMEOUT_SECONDS = 2.0


def build_container(settings: Settings) -> Container:
    def queue(**overrides: float | int | None) -> OrdersQueue:
        return OrdersQueue(
            aws.sqs_client(settings, **overrides),
            settings.queue_name,
            settings.dlq_name,
            settings.queue_url,
            settings.dlq_url,
        )

    table = OrdersTable(aws.dynamodb_client(settings), settings.table_name)
    probe = {
        "max_attempts": 1,
        "connect_timeout": PROBE_TIMEOUT_SECONDS,
        "read_timeout": PROBE_TIMEOUT_SECONDS,
    }
    instruments = Instruments()
    return Container(
        settings=settings,
        orders=OrderService(
            table,
            queue(),
            instruments,
            settings.idempotency_ttl_seconds,
            settings.recent_lookback_days,
        ),
        faults=FaultFlags(
            table,
            Faults(
                latency_ms=settings.fault_latency_ms,
                error_rate=settings.fault_error_rate,
                worker_crash=settings.fault_worker_crash,
                worker_slow_ms=settings.fault_worker_slow_ms,
            ),
            settings.faults_refresh_seconds,
        ),
        instruments=instruments,
        # the backlog as the producer sees it: still exported when no worker runs
        queue_depth=QueueDepthPoller(
            QueueDepth(queue(**probe), instruments), settings.queue_stats_interval_seconds
        ),
        probe_queue=queue(**probe),
        probe_table=OrdersTable(aws.dynamodb_client(settings, **probe), settings.table_name),
    )


async def _unavailable(_request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, DependencyUnavailable):  # registered for this type only
        raise exc
    log.warning(
        "dependency unavailable", extra={"dependency": exc.dependency, "reason": exc.reason}
    )
    return JSONResponse(
        {
            "detail": (
                f"{exc.dependency} unavailable; retry later "
                "(POST /orders: with the same Idempotency-Key)"
            ),
            "dependency": exc.dependency,
        },
        status_code=503,
        headers={"Retry-After": "1"},
    )


async def _conflict(_request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=409)


async def _not_found(_request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=404)


def create_app(settings: Settings) -> FastAPI:
    container = build_container(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        container.queue_depth.start()
        app.state.started = True
        log.info(
            "api started",
            extra={
                "queue": settings.queue_name,
                "table": settings.table_name,
                "admin_api": settings.admin_enabled,
            },
        )
        yield
        log.info("api stopping")
        container.queue_depth.stop()

    app = FastAPI(title="orders", version=__version__, lifespan=lifespan)
    app.state.container = container
    app.state.started = False
    app.include_router(orders_routes.router)
    app.include_router(health.router)
    app.include_router(admin.router)
    app.middleware("http")(access_log_and_faults)
    app.add_exception_handler(DependencyUnavailable, _unavailable)
    app.add_exception_handler(IdempotencyConflict, _conflict)
    app.add_exception_handler(OrderNotFound, _not_found)
    return app
