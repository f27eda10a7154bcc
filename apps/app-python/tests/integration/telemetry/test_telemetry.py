"""Telemetry of the real processes, received by a local OTLP/HTTP sink (protobuf decoded):
trace continuity through the queue, log lines carrying the ids, declared metrics."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from orders.devtools.otlp_sink import MetricRecord, OtlpSink, SpanRecord
from orders.domain.models import Order, OrderItem, OrderMessage, OrderRequest
from orders.telemetry import semconv
from orders.telemetry.semconv import InstrumentKind
from stacks import RunningStack

pytestmark = pytest.mark.integration

KIND_OF = {
    InstrumentKind.COUNTER: "sum",
    InstrumentKind.HISTOGRAM: "histogram",
    InstrumentKind.GAUGE: "gauge",
}


def create_and_store(main_stack: RunningStack) -> str:
    response = main_stack.client.post(
        "/orders",
        json={"customer_id": "c-otel", "items": [{"sku": "SKU-002", "quantity": 1}]},
        headers={"Idempotency-Key": f"otel-{uuid.uuid4().hex}"},
    )
    assert response.status_code == 202
    order_id = str(response.json()["order_id"])
    main_stack.wait_worker_line(order_id, "order stored")
    return order_id


def spans_of_order(sink: OtlpSink, order_id: str) -> list[SpanRecord]:
    def probe(received: OtlpSink) -> list[SpanRecord] | None:
        marked = [s for s in received.spans() if s.attributes.get(semconv.ORDER_ID) == order_id]
        traces = {s.trace_id for s in marked}
        spans = [s for s in received.spans() if s.trace_id in traces]
        kinds = {s.kind for s in spans}
        return spans if {"SERVER", "PRODUCER", "CONSUMER"} <= kinds else None

    return sink.wait_for(probe, 30)


def test_worker_span_continues_the_api_trace(main_stack: RunningStack, sink: OtlpSink) -> None:
    order_id = create_and_store(main_stack)
    spans = spans_of_order(sink, order_id)
    by_id = {s.span_id: s for s in spans}
    server = next(s for s in spans if s.kind == "SERVER")
    producer = next(s for s in spans if s.kind == "PRODUCER")
    consumer = next(s for s in spans if s.kind == "CONSUMER")
    assert len({s.trace_id for s in spans}) == 1

    assert server.service == semconv.API_SERVICE_NAME
    assert server.name == "POST /orders"
    assert server.attributes["http.route"] == "/orders"
    assert server.attributes["http.request.method"] == "POST"
    assert server.attributes["http.response.status_code"] == 202

    # the producer span descends from the request's server span
    ancestor = producer
    while ancestor.parent_span_id in by_id and ancestor.span_id != server.span_id:
        ancestor = by_id[ancestor.parent_span_id]
    assert ancestor.span_id == server.span_id
    assert producer.attributes[semconv.MESSAGING_SYSTEM] == "aws_sqs"
    assert producer.attributes[semconv.MESSAGING_OPERATION] == "publish"
    assert producer.attributes[semconv.MESSAGING_DESTINATION_NAME] == main_stack.stack.queue_name

    # the worker's processing span is the producer span's child, in the worker's service
    assert consumer.service == semconv.WORKER_SERVICE_NAME
    assert consumer.parent_span_id == producer.span_id
    assert consumer.attributes[semconv.MESSAGING_OPERATION] == "process"
    assert consumer.attributes[semconv.MESSAGING_DESTINATION_NAME] == main_stack.stack.queue_name
    assert consumer.attributes[semconv.MESSAGING_SYSTEM] == "aws_sqs"

    domain = {s.name: s for s in spans if s.kind == "INTERNAL"}
    assert {"order.create", "order.validate", "order.process", "order.price", "order.store"} <= set(
        domain
    )
    assert domain["order.process"].parent_span_id == consumer.span_id
    assert domain["order.store"].parent_span_id == domain["order.process"].span_id

    # the stored order records the trace; the worker's log lines carry its ids
    order = main_stack.client.get(f"/orders/{order_id}").json()
    assert order["trace_id"] == server.trace_id
    stored_line = main_stack.wait_worker_line(order_id, "order stored")
    assert stored_line["trace_id"] == server.trace_id
    assert stored_line["span_id"] == domain["order.process"].span_id
    assert main_stack.api is not None
    api_lines = [line for line in main_stack.api.json_lines() if line.get("order_id") == order_id]
    assert api_lines
    assert {line["trace_id"] for line in api_lines} == {server.trace_id}


def test_every_log_line_has_trace_fields(main_stack: RunningStack) -> None:
    assert main_stack.api is not None
    assert main_stack.worker is not None
    for process in (main_stack.api, main_stack.worker):
        lines = process.json_lines()
        assert lines
        raw = [line for line in process.text().splitlines() if line.strip()]
        assert len(raw) == len(lines), f"{process.name} wrote a non-JSON line"
        for line in lines:
            assert len(line["trace_id"]) == 32
            assert len(line["span_id"]) == 16
            assert line["service.name"] in {semconv.API_SERVICE_NAME, semconv.WORKER_SERVICE_NAME}


def _points(metrics: list[MetricRecord], name: str) -> list[dict[str, Any]]:
    return [p for m in metrics if m.name == name for p in m.points]


def test_emitted_metrics_match_the_declarations(main_stack: RunningStack, sink: OtlpSink) -> None:
    # make the worker emit every outcome: stored, duplicate, failed
    queue = main_stack.queue()
    duplicate = OrderMessage.from_order(
        Order.new(OrderRequest(customer_id="c-otel", items=[OrderItem(sku="SKU-001", quantity=1)]))
    )
    queue.send(duplicate)
    queue.send(duplicate)
    queue.send_raw(queue.url, "not an order")
    create_and_store(main_stack)
    main_stack.wait_worker_line(
        duplicate.order_id, "duplicate delivery skipped: order already processed"
    )

    required = {
        semconv.HTTP_SERVER_REQUEST_DURATION.name,
        semconv.ORDERS_CREATED.name,
        semconv.ORDERS_PROCESSED.name,
        semconv.ORDERS_FAILED.name,
        semconv.ORDERS_DUPLICATES.name,
        semconv.ORDERS_PROCESSING_DURATION.name,
        semconv.ORDERS_END_TO_END_DURATION.name,
        semconv.ORDERS_QUEUE_OLDEST_AGE.name,
        semconv.ORDERS_QUEUE_MESSAGES.name,
    }

    def all_emitted(received: OtlpSink) -> list[MetricRecord] | None:
        metrics = received.metrics()
        failed = _points(metrics, semconv.ORDERS_FAILED.name)
        dup = _points(metrics, semconv.ORDERS_DUPLICATES.name)
        ready = (
            required <= {m.name for m in metrics}
            and any(p["attributes"].get(semconv.ERROR_TYPE) == "invalid_message" for p in failed)
            and dup
        )
        return metrics if ready else None

    metrics = sink.wait_for(all_emitted, 30)
    checked = 0
    for metric in metrics:
        spec = semconv.METRICS_BY_NAME.get(metric.name)
        if spec is None:
            assert not metric.name.startswith("orders."), f"undeclared metric {metric.name}"
            continue
        checked += 1
        assert metric.service in spec.emitted_by, metric.name
        assert metric.unit == spec.unit, metric.name
        assert metric.kind == KIND_OF[spec.kind], metric.name
        if spec.kind is InstrumentKind.COUNTER:
            assert metric.monotonic, metric.name
        for point in metric.points:
            assert set(point["attributes"]) <= spec.attributes, (metric.name, point["attributes"])
            if spec.buckets:
                assert point["bounds"] == spec.buckets, metric.name
    assert checked

    http = _points(metrics, semconv.HTTP_SERVER_REQUEST_DURATION.name)
    post = [
        p
        for p in http
        if p["attributes"].get("http.route") == "/orders"
        and p["attributes"].get("http.request.method") == "POST"
        and p["attributes"].get("http.response.status_code") == 202
    ]
    assert post
    assert post[0]["count"] >= 1
    assert not any(
        str(p["attributes"].get("http.route", "")).startswith("/healthz") for p in http
    ), "probes are excluded from the RED metrics"
    ages = _points(metrics, semconv.ORDERS_QUEUE_OLDEST_AGE.name)
    assert all(p["value"] >= 0 for p in ages)
    depth_states = {
        (
            p["attributes"][semconv.MESSAGING_DESTINATION_NAME],
            p["attributes"][semconv.QUEUE_MESSAGE_STATE],
        )
        for p in _points(metrics, semconv.ORDERS_QUEUE_MESSAGES.name)
    }
    assert (main_stack.stack.dlq_name, "visible") in depth_states
