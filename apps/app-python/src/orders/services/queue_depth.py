"""Queue depths for the ``orders.queue.messages`` gauge, read by the worker and by the API.

The worker reads them from its polling loop. The API reads them too, from a background thread,
so the backlog stays visible when no worker runs: a dead or hung worker stops its own series,
and only a producer-side view still says that orders are waiting (alert
``OrdersWorkerNotConsuming``). Each process exports its view under its own ``service.name``
(``job`` in Prometheus).
"""

from __future__ import annotations

import logging
import threading

from opentelemetry.instrumentation.utils import suppress_instrumentation

from orders.adapters.sqs import OrdersQueue
from orders.errors import DependencyUnavailable
from orders.telemetry import semconv
from orders.telemetry.metrics import Instruments

log = logging.getLogger(__name__)

STATES = ("visible", "in_flight")


class QueueDepth:
    """Reads the approximate depth of the orders queue and of its DLQ into the gauge."""

    def __init__(self, queue: OrdersQueue, instruments: Instruments) -> None:
        self.queue = queue
        self.instruments = instruments

    def refresh(self) -> int:
        """Read both queues; returns how many were read (an unreachable one keeps its last
        value and logs a warning)."""
        read = 0
        for name in (self.queue.queue_name, self.queue.dlq_name):
            try:
                with suppress_instrumentation():  # housekeeping, not traced
                    url = self.queue.url if name == self.queue.queue_name else self.queue.dlq_url
                    counts = self.queue.depth(url)
            except DependencyUnavailable as exc:
                log.warning("queue depth not read", extra={"queue": name, "reason": str(exc)})
                continue
            for state, value in zip(STATES, counts, strict=True):
                self.instruments.queue_messages.set(
                    value,
                    {semconv.MESSAGING_DESTINATION_NAME: name, semconv.QUEUE_MESSAGE_STATE: state},
                )
            read += 1
        return read


class QueueDepthPoller:
    """Refreshes a QueueDepth every ``interval_seconds`` on a daemon thread (the API's)."""

    def __init__(self, depth: QueueDepth, interval_seconds: float) -> None:
        self.depth = depth
        self.interval_seconds = interval_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start polling; an interval of 0 turns the reads off."""
        if self.interval_seconds <= 0:
            log.info("queue depth reads off (QUEUE_STATS_INTERVAL_SECONDS=0)")
            return
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="queue-depth", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.depth.refresh()
            except Exception:  # the poller must outlive any one bad read
                log.exception("queue depth refresh failed")
            self._stop.wait(self.interval_seconds)
