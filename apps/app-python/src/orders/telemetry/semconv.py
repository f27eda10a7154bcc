"""Every custom metric and attribute of this program, declared once with its unit.

Instrument code takes names from here only; a test checks that what is exported matches these
declarations (name, instrument kind, unit, attribute keys). Standard attributes come from the
OpenTelemetry semantic conventions; the ``orders.*`` ones are ours.

Prometheus names (OTel Collector ``prometheus``/``prometheusremotewrite`` exporters with the
default suffixing and underscore translation) are derived by ``prometheus_names``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

# --- service identity (resource attributes) ---
API_SERVICE_NAME: Final = "app-python"
WORKER_SERVICE_NAME: Final = "app-python-worker"
SERVICE_NAME: Final = "service.name"
SERVICE_VERSION: Final = "service.version"
SERVICE_NAMESPACE: Final = "service.namespace"
SERVICE_NAMESPACE_VALUE: Final = "kindops-lab"
DEPLOYMENT_ENVIRONMENT: Final = "deployment.environment"
DEPLOYMENT_ENVIRONMENT_NAME: Final = "deployment.environment.name"  # newer semconv name

# --- standard attributes we set ourselves ---
ERROR_TYPE: Final = "error.type"
MESSAGING_SYSTEM: Final = "messaging.system"
MESSAGING_SYSTEM_SQS: Final = "aws_sqs"
MESSAGING_OPERATION: Final = "messaging.operation"
MESSAGING_OPERATION_TYPE: Final = "messaging.operation.type"
MESSAGING_DESTINATION_NAME: Final = "messaging.destination.name"
MESSAGING_MESSAGE_ID: Final = "messaging.message.id"
MESSAGING_DELIVERY_COUNT: Final = "messaging.message.delivery_count"

# --- our attributes ---
ORDER_ID: Final = "orders.order_id"  # span attribute only: unbounded cardinality
ORDER_ITEM_COUNT: Final = "orders.item_count"
ORDER_STATUS: Final = "orders.status"
ORDER_REPLAYED: Final = "orders.idempotent_replay"
PRICING_SOURCE: Final = "orders.pricing.source"
QUEUE_MESSAGE_STATE: Final = "orders.queue.message_state"
FAULT_TYPE: Final = "orders.fault.type"

# --- span names of the domain steps (automatic instrumentation names the rest) ---
SPAN_ORDER_VALIDATE: Final = "order.validate"
SPAN_ORDER_CREATE: Final = "order.create"
SPAN_ORDER_PROCESS: Final = "order.process"
SPAN_ORDER_PRICE: Final = "order.price"
SPAN_ORDER_STORE: Final = "order.store"


class MessagingOperation(StrEnum):
    """Values of messaging.operation (and of .type, which renamed publish to send)."""

    PUBLISH = "publish"
    RECEIVE = "receive"
    PROCESS = "process"


class InstrumentKind(StrEnum):
    COUNTER = "counter"
    HISTOGRAM = "histogram"
    GAUGE = "gauge"  # observable gauge


@dataclass(frozen=True)
class MetricSpec:
    """A metric this program emits: the one place its name, kind, unit and attributes live."""

    name: str
    kind: InstrumentKind
    unit: str
    description: str
    attributes: frozenset[str] = field(default_factory=frozenset)
    emitted_by: frozenset[str] = field(default_factory=frozenset)
    buckets: tuple[float, ...] | None = None


# Histogram buckets (seconds) with an edge at the 300 ms SLO threshold.
LATENCY_BUCKETS: Final = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.075,
    0.1,
    0.2,
    0.25,
    0.3,
    0.5,
    0.75,
    1.0,
    2.5,
    5.0,
    7.5,
    10.0,
)
QUEUE_LATENCY_BUCKETS: Final = (
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
    120.0,
    300.0,
    600.0,
    1800.0,
)

_API = frozenset({API_SERVICE_NAME})
_WORKER = frozenset({WORKER_SERVICE_NAME})
_BOTH = _API | _WORKER

HTTP_SERVER_REQUEST_DURATION = MetricSpec(
    name="http.server.request.duration",
    kind=InstrumentKind.HISTOGRAM,
    unit="s",
    description="Duration of HTTP server requests (semconv; from the FastAPI instrumentation).",
    attributes=frozenset(
        {
            "http.route",
            "http.request.method",
            "http.response.status_code",
            "url.scheme",
            "network.protocol.version",
            ERROR_TYPE,
        }
    ),
    emitted_by=_API,
    buckets=LATENCY_BUCKETS,
)
ORDERS_CREATED = MetricSpec(
    name="orders.created",
    kind=InstrumentKind.COUNTER,
    unit="{order}",
    description="Orders accepted by the API (idempotent replays not counted).",
    emitted_by=_API,
)
ORDERS_PROCESSED = MetricSpec(
    name="orders.processed",
    kind=InstrumentKind.COUNTER,
    unit="{order}",
    description="Orders priced and stored by the worker.",
    attributes=frozenset({PRICING_SOURCE}),
    emitted_by=_WORKER,
)
ORDERS_FAILED = MetricSpec(
    name="orders.failed",
    kind=InstrumentKind.COUNTER,
    unit="{order}",
    description="Processing attempts that failed, by error.type (transient ones are retried).",
    attributes=frozenset({ERROR_TYPE}),
    emitted_by=_WORKER,
)
ORDERS_DUPLICATES = MetricSpec(
    name="orders.duplicates",
    kind=InstrumentKind.COUNTER,
    unit="{message}",
    description="Redelivered messages of orders already processed (acknowledged, not redone).",
    emitted_by=_WORKER,
)
ORDERS_PROCESSING_DURATION = MetricSpec(
    name="orders.processing.duration",
    kind=InstrumentKind.HISTOGRAM,
    unit="s",
    description="Time the worker spends on one message, by outcome.",
    attributes=frozenset({ORDER_STATUS, ERROR_TYPE}),
    emitted_by=_WORKER,
    buckets=LATENCY_BUCKETS,
)
ORDERS_END_TO_END_DURATION = MetricSpec(
    name="orders.end_to_end.duration",
    kind=InstrumentKind.HISTOGRAM,
    unit="s",
    description="From enqueue (SQS SentTimestamp) to the order stored.",
    emitted_by=_WORKER,
    buckets=QUEUE_LATENCY_BUCKETS,
)
ORDERS_QUEUE_OLDEST_AGE = MetricSpec(
    name="orders.queue.oldest_age",
    kind=InstrumentKind.GAUGE,
    unit="s",
    description="Age of the oldest message in the last receive (SentTimestamp); 0 when empty.",
    attributes=frozenset({MESSAGING_DESTINATION_NAME}),
    emitted_by=_WORKER,
)
ORDERS_QUEUE_MESSAGES = MetricSpec(
    name="orders.queue.messages",
    kind=InstrumentKind.GAUGE,
    unit="{message}",
    description="Approximate messages in the queue and the DLQ, visible or in flight.",
    attributes=frozenset({MESSAGING_DESTINATION_NAME, QUEUE_MESSAGE_STATE}),
    emitted_by=_BOTH,  # each reads the queue: the API's view survives a dead worker
)
ORDERS_FAULTS_INJECTED = MetricSpec(
    name="orders.faults.injected",
    kind=InstrumentKind.COUNTER,
    unit="{fault}",
    description="Faults injected by the game-day flags, by type.",
    attributes=frozenset({FAULT_TYPE}),
    emitted_by=_BOTH,
)

METRICS: Final[tuple[MetricSpec, ...]] = (
    HTTP_SERVER_REQUEST_DURATION,
    ORDERS_CREATED,
    ORDERS_PROCESSED,
    ORDERS_FAILED,
    ORDERS_DUPLICATES,
    ORDERS_PROCESSING_DURATION,
    ORDERS_END_TO_END_DURATION,
    ORDERS_QUEUE_OLDEST_AGE,
    ORDERS_QUEUE_MESSAGES,
    ORDERS_FAULTS_INJECTED,
)
METRICS_BY_NAME: Final = {spec.name: spec for spec in METRICS}

# metrics the worker and the API create themselves (the rest come from instrumentation)
CUSTOM_METRICS: Final = tuple(spec for spec in METRICS if spec.name.startswith("orders."))

_UNIT_SUFFIX = {"s": "seconds", "ms": "milliseconds", "By": "bytes", "1": "ratio"}


def prometheus_names(spec: MetricSpec) -> tuple[str, ...]:
    """The series names Prometheus shows for a metric (collector's default translation)."""
    base = re.sub(r"[^a-zA-Z0-9_]", "_", spec.name)
    unit = "" if spec.unit.startswith("{") else _UNIT_SUFFIX.get(spec.unit, spec.unit)
    if unit and not base.endswith(f"_{unit}"):
        base = f"{base}_{unit}"
    if spec.kind is InstrumentKind.COUNTER:
        return (f"{base}_total",)
    if spec.kind is InstrumentKind.HISTOGRAM:
        return (f"{base}_bucket", f"{base}_sum", f"{base}_count")
    return (base,)


def prometheus_label(attribute: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_]", "_", attribute)
