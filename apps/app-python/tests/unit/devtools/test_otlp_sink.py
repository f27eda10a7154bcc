"""The OTLP/HTTP sink every telemetry test reads from: what the SDK's own OTLP exporters send
(protobuf, gzip or not) comes back as the same spans and metric points."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

from orders.devtools.otlp_sink import OtlpSink

RESOURCE = Resource.create({"service.name": "sink-test"})


@pytest.fixture
def sink() -> Iterator[OtlpSink]:
    with OtlpSink() as receiver:
        yield receiver


@pytest.mark.parametrize("compression", [Compression.NoCompression, Compression.Gzip])
def test_spans_keep_ids_parents_kinds_attributes_and_status(
    sink: OtlpSink, compression: Compression
) -> None:
    exporter = OTLPSpanExporter(endpoint=f"{sink.endpoint}/v1/traces", compression=compression)
    provider = TracerProvider(resource=RESOURCE)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("sink-test")
    attributes = {"http.response.status_code": 503, "retry": True, "tags": ["a", "b"]}
    with (
        tracer.start_as_current_span("POST /orders", kind=SpanKind.SERVER) as server,
        tracer.start_as_current_span("POST", kind=SpanKind.CLIENT, attributes=attributes) as client,
    ):
        client.set_status(Status(StatusCode.ERROR, "unavailable"))
    provider.shutdown()

    spans = {span.name: span for span in sink.spans()}
    assert set(spans) == {"POST /orders", "POST"}
    decoded_server, decoded_client = spans["POST /orders"], spans["POST"]
    assert decoded_server.trace_id == format(server.get_span_context().trace_id, "032x")
    assert decoded_server.span_id == format(server.get_span_context().span_id, "016x")
    assert decoded_server.parent_span_id == ""
    assert decoded_server.kind == "SERVER"
    assert decoded_client.kind == "CLIENT"
    assert decoded_client.trace_id == decoded_server.trace_id
    assert decoded_client.parent_span_id == decoded_server.span_id
    assert decoded_client.span_id == format(client.get_span_context().span_id, "016x")
    assert decoded_client.attributes == {
        "http.response.status_code": 503,
        "retry": True,
        "tags": ["a", "b"],
    }
    assert decoded_client.status_code == StatusCode.ERROR.value
    assert decoded_client.service == "sink-test"
    assert decoded_client.start_ns <= decoded_client.end_ns


def test_counters_and_histograms_keep_kind_unit_points_and_buckets(sink: OtlpSink) -> None:
    reader = PeriodicExportingMetricReader(
        OTLPMetricExporter(endpoint=f"{sink.endpoint}/v1/metrics"),
        export_interval_millis=3_600_000,  # exported once, at shutdown
    )
    provider = MeterProvider(
        resource=RESOURCE,
        metric_readers=[reader],
        views=[
            View(
                instrument_name="test.duration",
                aggregation=ExplicitBucketHistogramAggregation((0.1, 0.3, 1.0)),
            )
        ],
    )
    meter = provider.get_meter("sink-test")
    counter = meter.create_counter("test.orders", unit="{order}")
    counter.add(2, {"error.type": "unknown_sku"})
    counter.add(1, {"error.type": "unknown_sku"})
    histogram = meter.create_histogram("test.duration", unit="s")
    histogram.record(0.2)
    histogram.record(0.5)
    provider.shutdown()

    metrics = {metric.name: metric for metric in sink.metrics()}
    orders = metrics["test.orders"]
    assert (orders.kind, orders.unit, orders.monotonic, orders.service) == (
        "sum",
        "{order}",
        True,
        "sink-test",
    )
    assert orders.points == ({"attributes": {"error.type": "unknown_sku"}, "value": 3},)
    duration = metrics["test.duration"]
    assert (duration.kind, duration.unit) == ("histogram", "s")
    (point,) = duration.points
    assert point["count"] == 2
    assert point["sum"] == pytest.approx(0.7)
    assert point["bounds"] == (0.1, 0.3, 1.0)


def test_unknown_paths_and_undecodable_bodies_are_refused(sink: OtlpSink) -> None:
    headers = {"Content-Type": "application/x-protobuf"}
    unknown = httpx.post(f"{sink.endpoint}/v1/profiles", content=b"", headers=headers)
    assert unknown.status_code == 404
    garbage = httpx.post(f"{sink.endpoint}/v1/traces", content=b"\xff\xff\xff", headers=headers)
    assert garbage.status_code == 400
    assert sink.spans() == []
    assert sink.requests == {"traces": 0, "metrics": 0, "logs": 0}
