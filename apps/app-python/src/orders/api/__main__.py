"""Entry point of the API: ``orders-api`` or ``python -m orders.api`` (uvicorn)."""

from __future__ import annotations

import sys

import uvicorn

from orders.api.main import create_app
from orders.errors import ConfigError
from orders.settings import load_settings
from orders.telemetry.logs import configure_logging
from orders.telemetry.semconv import API_SERVICE_NAME
from orders.telemetry.setup import configure_telemetry


def main() -> None:
    try:
        settings = load_settings()
    except ConfigError as exc:
        sys.exit(f"orders-api: {exc}")
    configure_logging(API_SERVICE_NAME, settings.log_level)
    try:
        telemetry = configure_telemetry(API_SERVICE_NAME, settings.deployment_environment)
    except ConfigError as exc:
        sys.exit(f"orders-api: {exc}")
    app = create_app(settings)
    telemetry.instrument_fastapi(app)
    try:
        uvicorn.run(
            app,
            host=settings.api_host,
            port=settings.api_port,
            log_config=None,
            access_log=False,
            server_header=False,
            timeout_graceful_shutdown=10,
        )
    finally:
        telemetry.shutdown()


if __name__ == "__main__":
    main()
