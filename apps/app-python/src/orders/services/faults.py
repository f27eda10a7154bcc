"""The fault flags shared by the API and the worker.

Where they live: the item ``FLAGS#faults`` of the orders table. Both processes (and every
replica in the cluster) already reach the table, so a ``PUT /admin/faults`` on any API replica
reaches every worker within FAULTS_REFRESH_SECONDS. Until someone sets them, the FAULT_*
environment variables are the flags (so a pod can start with a fault on).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from opentelemetry.instrumentation.utils import suppress_instrumentation

from orders.adapters.dynamodb import OrdersTable
from orders.domain.faults import Faults
from orders.domain.models import isoformat, utcnow
from orders.errors import DependencyUnavailable

log = logging.getLogger(__name__)


class FaultFlags:
    """Cached view of the shared flags, refreshed at most every ``refresh_seconds``."""

    def __init__(
        self,
        table: OrdersTable,
        defaults: Faults,
        refresh_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.table = table
        self.defaults = defaults
        self.refresh_seconds = refresh_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._current = defaults
        self._source = "env"
        self._fetched_at: float | None = None

    def current(self) -> Faults:
        """The flags now; on a table error the last known flags stay in force."""
        with self._lock:
            fresh = (
                self._fetched_at is not None
                and self._clock() - self._fetched_at < self.refresh_seconds
            )
            if fresh:
                return self._current
        try:
            with suppress_instrumentation():  # a refresh is not part of the caller's work
                stored = self.table.get_faults()
        except DependencyUnavailable as exc:
            log.warning(
                "fault flags not refreshed; keeping the last known", extra={"reason": str(exc)}
            )
            with self._lock:
                self._fetched_at = self._clock()
                return self._current
        with self._lock:
            new = stored if stored is not None else self.defaults
            if new != self._current:
                log.warning(
                    "fault flags changed",
                    extra={
                        "faults": new.model_dump(),
                        "previous": self._current.model_dump(),
                        "active": new.describe(),
                    },
                )
            self._current = new
            self._source = "table" if stored is not None else "env"
            self._fetched_at = self._clock()
            return self._current

    @property
    def source(self) -> str:
        return self._source

    def set(self, faults: Faults, actor: str) -> Faults:
        """Store new flags for every process; logged as a change."""
        previous = self.current()
        self.table.put_faults(faults, isoformat(utcnow()))
        with self._lock:
            self._current = faults
            self._source = "table"
            self._fetched_at = self._clock()
        log.warning(
            "fault flags changed",
            extra={
                "faults": faults.model_dump(),
                "previous": previous.model_dump(),
                "active": faults.describe(),
                "actor": actor,
            },
        )
        return faults
