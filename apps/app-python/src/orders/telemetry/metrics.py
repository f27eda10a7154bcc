"""The program's own instruments, created from the declarations in ``semconv``."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Counter, Histogram, Meter, Observation

from orders import __version__
from orders.telemetry import semconv
from orders.telemetry.semconv import InstrumentKind, MetricSpec

METER_NAME = "orders"


class GaugeValues:
    """Last observed values of an observable gauge, keyed by their attribute set."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[tuple[tuple[str, str], ...], float] = {}

    def set(self, value: float, attributes: dict[str, str]) -> None:
        with self._lock:
            self._values[tuple(sorted(attributes.items()))] = value

    def observe(self, _options: CallbackOptions) -> Iterable[Observation]:
        with self._lock:
            items = list(self._values.items())
        return [Observation(value, dict(key)) for key, value in items]


class Instruments:
    """All custom instruments; with the SDK disabled they are the API's no-ops."""

    def __init__(self, meter: Meter | None = None) -> None:
        self.meter = meter or metrics.get_meter(METER_NAME, __version__)
        self.queue_oldest_age = GaugeValues()
        self.queue_messages = GaugeValues()
        self.orders_created: Counter = self._counter(semconv.ORDERS_CREATED)
        self.orders_processed: Counter = self._counter(semconv.ORDERS_PROCESSED)
        self.orders_failed: Counter = self._counter(semconv.ORDERS_FAILED)
        self.orders_duplicates: Counter = self._counter(semconv.ORDERS_DUPLICATES)
        self.faults_injected: Counter = self._counter(semconv.ORDERS_FAULTS_INJECTED)
        self.processing_duration: Histogram = self._histogram(semconv.ORDERS_PROCESSING_DURATION)
        self.end_to_end_duration: Histogram = self._histogram(semconv.ORDERS_END_TO_END_DURATION)
        self._gauge(semconv.ORDERS_QUEUE_OLDEST_AGE, self.queue_oldest_age)
        self._gauge(semconv.ORDERS_QUEUE_MESSAGES, self.queue_messages)

    @staticmethod
    def _check(spec: MetricSpec, kind: InstrumentKind) -> None:
        if spec.kind is not kind:
            raise TypeError(f"{spec.name} is declared as a {spec.kind}, not a {kind}")

    def _counter(self, spec: MetricSpec) -> Counter:
        self._check(spec, InstrumentKind.COUNTER)
        return self.meter.create_counter(spec.name, unit=spec.unit, description=spec.description)

    def _histogram(self, spec: MetricSpec) -> Histogram:
        self._check(spec, InstrumentKind.HISTOGRAM)
        kwargs: dict[str, Any] = {}
        if spec.buckets:
            kwargs["explicit_bucket_boundaries_advisory"] = list(spec.buckets)
        return self.meter.create_histogram(
            spec.name, unit=spec.unit, description=spec.description, **kwargs
        )

    def _gauge(self, spec: MetricSpec, values: GaugeValues) -> None:
        self._check(spec, InstrumentKind.GAUGE)
        self.meter.create_observable_gauge(
            spec.name, callbacks=[values.observe], unit=spec.unit, description=spec.description
        )
