"""The instruments the code creates match the declarations in semconv."""

from __future__ import annotations

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    Gauge,
    Histogram,
    InMemoryMetricReader,
    Sum,
)

from orders.telemetry import semconv
from orders.telemetry.metrics import Instruments
from orders.telemetry.semconv import InstrumentKind

KINDS = {
    InstrumentKind.COUNTER: Sum,
    InstrumentKind.HISTOGRAM: Histogram,
    InstrumentKind.GAUGE: Gauge,
}


def test_instruments_match_their_declarations() -> None:
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    instruments = Instruments(provider.get_meter("orders"))
    instruments.orders_created.add(1)
    instruments.orders_processed.add(1, {semconv.PRICING_SOURCE: "fallback"})
    instruments.orders_failed.add(1, {semconv.ERROR_TYPE: "unknown_sku"})
    instruments.orders_duplicates.add(1)
    instruments.faults_injected.add(1, {semconv.FAULT_TYPE: "latency"})
    instruments.processing_duration.record(0.01, {semconv.ORDER_STATUS: "stored"})
    instruments.end_to_end_duration.record(0.5)
    instruments.queue_oldest_age.set(3.0, {semconv.MESSAGING_DESTINATION_NAME: "orders"})
    instruments.queue_messages.set(
        2, {semconv.MESSAGING_DESTINATION_NAME: "orders", semconv.QUEUE_MESSAGE_STATE: "visible"}
    )
    data = reader.get_metrics_data()
    assert data is not None
    emitted = {
        metric.name: metric
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
    }
    assert set(emitted) == {spec.name for spec in semconv.CUSTOM_METRICS}
    for spec in semconv.CUSTOM_METRICS:
        metric = emitted[spec.name]
        assert metric.unit == spec.unit, spec.name
        assert isinstance(metric.data, KINDS[spec.kind]), spec.name
        for point in metric.data.data_points:
            assert set(point.attributes or {}) <= spec.attributes, spec.name
        if spec.buckets:
            assert all(
                tuple(point.explicit_bounds) == spec.buckets for point in metric.data.data_points
            ), spec.name
