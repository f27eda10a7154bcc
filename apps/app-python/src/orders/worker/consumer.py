"""The polling loop: receive, obey the fault flags, process, keep the queue gauges fresh."""

from __future__ import annotations

import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from opentelemetry.instrumentation.utils import suppress_instrumentation

from orders.adapters.sqs import OrdersQueue, ReceivedMessage
from orders.domain.faults import Faults
from orders.errors import DependencyUnavailable
from orders.services.faults import FaultFlags
from orders.services.processing import OrderProcessor
from orders.services.queue_depth import QueueDepth
from orders.telemetry import semconv
from orders.telemetry.metrics import Instruments

log = logging.getLogger(__name__)

CRASH_EXIT_CODE = 70  # EX_SOFTWARE


class WorkerCrash(Exception):
    """The worker_crash fault flag is on: the process must exit non-zero."""


class Consumer:
    def __init__(
        self,
        queue: OrdersQueue,
        processor: OrderProcessor,
        faults: FaultFlags,
        instruments: Instruments,
        wait_seconds: int,
        batch_size: int,
        stats_interval_seconds: float,
        heartbeat_file: str | None = None,
        concurrency: int = 1,
    ) -> None:
        self.queue = queue
        self.processor = processor
        self.faults = faults
        self.instruments = instruments
        self.wait_seconds = wait_seconds
        self.batch_size = batch_size
        self.stats_interval_seconds = stats_interval_seconds
        self.heartbeat = Path(heartbeat_file) if heartbeat_file else None
        self._stop = threading.Event()
        self.concurrency = concurrency
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="order")
        self._stats_at: float | None = None
        # read from the polling loop: a hung loop freezes this view (the API keeps its own)
        self.depth = QueueDepth(queue, instruments)

    def stop(self) -> None:
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run(self) -> None:
        """Poll until stopped. Raises WorkerCrash when the crash flag asks for it."""
        log.info(
            "worker started",
            extra={
                "queue": self.queue.queue_name,
                "wait_seconds": self.wait_seconds,
                "batch_size": self.batch_size,
                "concurrency": self.concurrency,
            },
        )
        outage = 0
        while not self.stopping:
            self._beat()
            self._refresh_stats()
            self.faults.current()  # picks up (and logs) flag changes even while idle
            try:
                # Polls are housekeeping: no trace per empty receive. Each message's
                # processing span continues the producer's trace instead.
                with suppress_instrumentation():
                    messages = self.queue.receive(self.batch_size, self.wait_seconds)
            except DependencyUnavailable as exc:
                outage += 1
                pause = min(30.0, 0.5 * 2 ** min(outage - 1, 6))
                log.warning(
                    "queue unavailable; polling again later",
                    extra={"reason": str(exc), "retry_in_seconds": pause},
                )
                self._stop.wait(pause)
                continue
            if outage:
                log.info("queue reachable again", extra={"failed_polls": outage})
                outage = 0
            self._record_age(messages)
            self._handle_batch(messages)
        self._pool.shutdown(wait=True)
        log.info("worker stopped")

    def _handle_batch(self, messages: list[ReceivedMessage]) -> None:
        """Process a batch, up to ``concurrency`` messages at a time."""
        if not messages:
            return
        if self.stopping:
            self._release(messages)
            return
        faults = self.faults.current()
        if faults.worker_crash:
            self.instruments.faults_injected.add(1, {semconv.FAULT_TYPE: "worker_crash"})
            log.critical(
                "injected fault: worker crash; exiting without processing the message",
                extra={"message_id": messages[0].message_id, "exit_code": CRASH_EXIT_CODE},
            )
            raise WorkerCrash(messages[0].message_id)
        list(self._pool.map(lambda group: self._handle_group(group, faults), _by_order(messages)))

    def _handle_group(self, messages: list[ReceivedMessage], faults: Faults) -> None:
        for message in messages:
            self._handle_one(message, faults)

    def _handle_one(self, message: ReceivedMessage, faults: Faults) -> None:
        if faults.worker_slow_ms:
            self.instruments.faults_injected.add(1, {semconv.FAULT_TYPE: "worker_slow"})
            log.warning(
                "injected fault: slow processing",
                extra={"message_id": message.message_id, "delay_ms": faults.worker_slow_ms},
            )
            self._stop.wait(faults.worker_slow_ms / 1000)
        self.processor.handle(message)

    def _release(self, messages: list[ReceivedMessage]) -> None:
        """On shutdown, make unprocessed messages visible again at once."""
        for message in messages:
            try:
                self.queue.change_visibility(message, 0)
            except DependencyUnavailable as exc:
                log.warning("could not release message", extra={"reason": str(exc)})

    def _record_age(self, messages: list[ReceivedMessage]) -> None:
        now_ms = time.time() * 1000
        sent = [m.sent_timestamp_ms for m in messages if m.sent_timestamp_ms is not None]
        age = max(0.0, (now_ms - min(sent)) / 1000) if sent else 0.0
        self.instruments.queue_oldest_age.set(
            age, {semconv.MESSAGING_DESTINATION_NAME: self.queue.queue_name}
        )

    def _refresh_stats(self) -> None:
        now = time.monotonic()
        if self._stats_at is not None and now - self._stats_at < self.stats_interval_seconds:
            return
        self._stats_at = now
        self.depth.refresh()

    def _beat(self) -> None:
        if self.heartbeat is None:
            return
        try:
            self.heartbeat.touch()
        except OSError as exc:
            log.warning(
                "heartbeat file not written",
                extra={"path": str(self.heartbeat), "reason": str(exc)},
            )


def _by_order(messages: list[ReceivedMessage]) -> list[list[ReceivedMessage]]:
    """Group a batch by order id: copies of one order are handled one after the other (the
    second then finds the order stored), different orders in parallel."""
    groups: dict[str, list[ReceivedMessage]] = {}
    for message in messages:
        try:
            body = json.loads(message.body)
            key = str(body.get("order_id")) if isinstance(body, dict) else message.message_id
        except ValueError:
            key = message.message_id
        groups.setdefault(key, []).append(message)
    return list(groups.values())
