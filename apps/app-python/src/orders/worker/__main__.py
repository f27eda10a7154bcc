"""Entry point of the worker: ``orders-worker`` or ``python -m orders.worker``."""

from __future__ import annotations

import logging
import signal
import sys
from types import FrameType

from orders.adapters import aws
from orders.adapters.dynamodb import OrdersTable
from orders.adapters.pricing import build_pricer
from orders.adapters.sqs import OrdersQueue
from orders.domain.faults import Faults
from orders.errors import ConfigError
from orders.services.faults import FaultFlags
from orders.services.processing import OrderProcessor, RetryPolicy
from orders.settings import Settings, load_settings
from orders.telemetry.logs import configure_logging
from orders.telemetry.metrics import Instruments
from orders.telemetry.semconv import WORKER_SERVICE_NAME
from orders.telemetry.setup import configure_telemetry
from orders.worker.consumer import CRASH_EXIT_CODE, Consumer, WorkerCrash

log = logging.getLogger("orders.worker")


def build_consumer(settings: Settings) -> Consumer:
    # The long poll must end before the read timeout does.
    read_timeout = max(settings.aws_read_timeout_seconds, settings.worker_wait_seconds + 5)
    queue = OrdersQueue(
        aws.sqs_client(settings, read_timeout=read_timeout),
        settings.queue_name,
        settings.dlq_name,
        settings.queue_url,
        settings.dlq_url,
    )
    table = OrdersTable(aws.dynamodb_client(settings), settings.table_name)
    instruments = Instruments()
    pricer = build_pricer(
        settings.pricing_url,
        settings.pricing_timeout_seconds,
        settings.pricing_max_attempts,
        settings.pricing_backoff_seconds,
        settings.pricing_backoff_max_seconds,
    )
    processor = OrderProcessor(
        table,
        queue,
        pricer,
        instruments,
        RetryPolicy(
            settings.worker_retry_base_seconds,
            settings.worker_retry_max_seconds,
            settings.max_receive_count,
        ),
    )
    faults = FaultFlags(
        table,
        Faults(
            latency_ms=settings.fault_latency_ms,
            error_rate=settings.fault_error_rate,
            worker_crash=settings.fault_worker_crash,
            worker_slow_ms=settings.fault_worker_slow_ms,
        ),
        settings.faults_refresh_seconds,
    )
    return Consumer(
        queue,
        processor,
        faults,
        instruments,
        settings.worker_wait_seconds,
        settings.worker_batch_size,
        settings.queue_stats_interval_seconds,
        settings.worker_heartbeat_file,
        settings.worker_concurrency,
    )


def main() -> None:
    try:
        settings = load_settings()
    except ConfigError as exc:
        sys.exit(f"orders-worker: {exc}")
    configure_logging(WORKER_SERVICE_NAME, settings.log_level)
    try:
        telemetry = configure_telemetry(WORKER_SERVICE_NAME, settings.deployment_environment)
    except ConfigError as exc:
        sys.exit(f"orders-worker: {exc}")
    consumer = build_consumer(settings)

    def _stop(signum: int, _frame: FrameType | None) -> None:
        log.info("stop requested", extra={"signal": signal.Signals(signum).name})
        consumer.stop()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    exit_code = 0
    try:
        consumer.run()
    except WorkerCrash:
        exit_code = CRASH_EXIT_CODE
    finally:
        consumer.processor.pricer.close()
        telemetry.shutdown()
    sys.exit(exit_code)


if __name__ == "__main__":
    main()
