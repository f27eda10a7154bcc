"""app-python against the real app-java (its jar, started once per session): orders priced by
app-java, its unknown-SKU answer, one trace across both services, and app-java down then back."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app_java import APP_JAVA_DIR, AppJava
from orders.adapters.sqs import FAILURE_TYPE_ATTRIBUTE
from orders.devtools.otlp_sink import OtlpSink, SpanRecord
from orders.devtools.stack import MotoServer, wait_until
from orders.domain.models import Order, OrderStatus, PricingSource
from orders.domain.pricing import FALLBACK_CATALOGUE
from orders.telemetry import semconv
from stacks import RunningStack, make_stack, take_from_dlq

pytestmark = pytest.mark.integration

JAVA_SERVICE = "app-java"
QUOTES_ROUTE = "/api/v1/quotes"
RETRY_LINE = "order processing failed; message left on the queue for redelivery"


def java_catalogue() -> dict[str, int]:
    """app-java's own price list (its source of truth), SKU → unit price in cents."""
    doc = json.loads((APP_JAVA_DIR / "src/main/resources/catalog.json").read_text())
    return {entry["sku"]: entry["unitPriceCents"] for entry in doc["prices"]}


@pytest.fixture(scope="module")
def java_stack(
    workdir: Path, moto: MotoServer, sink: OtlpSink, app_java: AppJava
) -> Iterator[RunningStack]:
    """API + worker pricing through app-java: 2 attempts per delivery, redelivery after 1 s."""
    running = make_stack(
        workdir,
        moto,
        sink=sink,
        bootstrap_overrides={"max_receive_count": 50},
        PRICING_URL=app_java.url,
        PRICING_MAX_ATTEMPTS="2",
        PRICING_BACKOFF_SECONDS="0.05",
        PRICING_TIMEOUT_SECONDS="5",
        WORKER_RETRY_BASE_SECONDS="1",
        WORKER_RETRY_MAX_SECONDS="1",
        ORDERS_MAX_RECEIVE_COUNT="50",
    )
    yield running
    running.client.close()
    running.stack.stop()


def create(stack: RunningStack, sku: str, quantity: int) -> str:
    response = stack.client.post(
        "/orders",
        json={"customer_id": "c-java", "items": [{"sku": sku, "quantity": quantity}]},
        headers={"Idempotency-Key": f"java-{uuid.uuid4().hex}"},
    )
    assert response.status_code == 202, response.text
    return str(response.json()["order_id"])


def order_in(stack: RunningStack, order_id: str, status: OrderStatus) -> Order:
    table = stack.table()

    def probe() -> Order | None:
        order = table.get_order(order_id)
        return order if order is not None and order.status is status else None

    return wait_until(probe, 60, f"order {order_id} {status}", interval=0.1)


def test_an_order_is_priced_by_app_java(java_stack: RunningStack) -> None:
    unit = java_catalogue()["SKU-002"]
    assert unit != FALLBACK_CATALOGUE["SKU-002"]  # the total tells who priced the order
    order_id = create(java_stack, "SKU-002", 3)
    order = order_in(java_stack, order_id, OrderStatus.STORED)
    assert order.pricing_source is PricingSource.APP_JAVA
    assert order.currency == "USD"
    assert order.total_cents == 3 * unit
    assert order.lines is not None
    assert [(line.sku, line.quantity, line.unit_price_cents) for line in order.lines] == [
        ("SKU-002", 3, unit)
    ]
    served = java_stack.client.get(f"/orders/{order_id}").json()
    assert served["status"] == "stored"
    assert served["total_cents"] == 3 * unit
    line = java_stack.wait_worker_line(order_id, "order stored")
    assert line["receive_count"] == 1
    assert line["pricing_source"] == "app-java"


def test_an_sku_app_java_does_not_sell_fails_the_order_permanently(
    java_stack: RunningStack,
) -> None:
    assert "SKU-999" not in java_catalogue()
    order_id = create(java_stack, "SKU-999", 1)
    order = order_in(java_stack, order_id, OrderStatus.FAILED)
    assert order.error is not None
    assert "unknown-sku" in order.error  # app-java's problem type, passed on
    assert "SKU-999" in order.error
    line = java_stack.wait_worker_line(
        order_id, "order failed permanently; message moved to the dead-letter queue"
    )
    assert line["error_type"] == "unknown_sku"
    assert not java_stack.worker_lines(order_id, RETRY_LINE)  # a 404 is not retried
    dead = take_from_dlq(java_stack.queue(), order_id)
    assert json.loads(dead["Body"])["order_id"] == order_id
    assert dead["MessageAttributes"][FAILURE_TYPE_ATTRIBUTE]["StringValue"] == "unknown_sku"


def chain_to_root(span: SpanRecord, spans: list[SpanRecord]) -> list[SpanRecord]:
    """``span``, its parent, the parent's parent, ... as far as the received spans go."""
    by_id = {s.span_id: s for s in spans}
    chain = [span]
    while chain[-1].parent_span_id in by_id:
        chain.append(by_id[chain[-1].parent_span_id])
    return chain


def trace_of_order(sink: OtlpSink, order_id: str) -> list[SpanRecord]:
    """Every span of the order's trace, once all of them (three services, two processes each
    exporting in batches) have arrived: app-java's server span leads up to a root span."""

    def probe(received: OtlpSink) -> list[SpanRecord] | None:
        spans = received.spans()
        traces = {s.trace_id for s in spans if s.attributes.get(semconv.ORDER_ID) == order_id}
        if len(traces) != 1:
            return None
        trace = [s for s in spans if s.trace_id in traces]
        java = [s for s in trace if s.service == JAVA_SERVICE and s.kind == "SERVER"]
        complete = java and all(chain_to_root(s, trace)[-1].parent_span_id == "" for s in java)
        return trace if complete else None

    return sink.wait_for(probe, 30)


def test_one_trace_spans_app_python_and_app_java(
    java_stack: RunningStack, sink: OtlpSink, app_java: AppJava
) -> None:
    order_id = create(java_stack, "SKU-001", 2)
    java_stack.wait_worker_line(order_id, "order stored")
    trace = trace_of_order(sink, order_id)
    trace_id = trace[0].trace_id

    def one(service: str, kind: str, name: str) -> SpanRecord:
        found = [s for s in trace if (s.service, s.kind, s.name) == (service, kind, name)]
        assert len(found) == 1, (service, kind, name, found)
        return found[0]

    price = one(semconv.WORKER_SERVICE_NAME, "INTERNAL", semconv.SPAN_ORDER_PRICE)
    # the worker's httpx call to app-java: a CLIENT span under order.price
    client = one(semconv.WORKER_SERVICE_NAME, "CLIENT", "POST")
    assert client.parent_span_id == price.span_id
    assert client.attributes["url.full"] == f"{app_java.url}{QUOTES_ROUTE}"
    assert client.attributes["http.request.method"] == "POST"
    assert client.attributes["http.response.status_code"] == 200

    # app-java's server span is that client span's child, in the same trace
    server = one(JAVA_SERVICE, "SERVER", f"POST {QUOTES_ROUTE}")
    assert server.trace_id == client.trace_id == trace_id
    assert server.parent_span_id == client.span_id
    assert server.attributes["http.route"] == QUOTES_ROUTE
    assert server.attributes["http.response.status_code"] == 200
    quote = one(JAVA_SERVICE, "INTERNAL", "pricing.quote")
    assert quote.parent_span_id == server.span_id

    # ... and the whole chain leads back to the API request that created the order
    api_request = one(semconv.API_SERVICE_NAME, "SERVER", "POST /orders")
    chain = chain_to_root(server, trace)
    assert chain[-1].span_id == api_request.span_id, [
        (s.service, s.kind, s.name, s.span_id, s.parent_span_id) for s in chain
    ]
    assert java_stack.client.get(f"/orders/{order_id}").json()["trace_id"] == trace_id

    # app-java's own log line for the quote carries the same ids
    assert app_java.process is not None
    priced = app_java.process.wait_for_log(
        lambda line: (
            line.get("message") == "quote priced" and line.get("order", {}).get("id") == order_id
        ),
        30,
        f"'quote priced' for {order_id}",
    )
    assert priced["trace_id"] == trace_id
    assert priced["span_id"] == quote.span_id


def test_app_java_down_fails_cleanly_and_the_order_is_stored_once_it_is_back(
    java_stack: RunningStack, app_java: AppJava
) -> None:
    app_java.stop()  # SIGTERM: graceful shutdown, nothing listens on its port any more
    try:
        order_id = create(java_stack, "SKU-003", 2)  # the API does not need app-java
        failed = java_stack.wait_worker_line(order_id, RETRY_LINE)
        assert failed["error_type"] == "pricing_unavailable"
        assert app_java.url in failed["reason"]
        assert failed["retry_in_seconds"] == 1
        assert java_stack.worker is not None
        attempts = [
            line
            for line in java_stack.worker.json_lines()
            if line["message"] == "pricing attempt failed"
            and line["trace_id"] == failed["trace_id"]
        ]
        assert {line["attempt"] for line in attempts} >= {1, 2}  # retried within the delivery
        assert {line["error_type"] for line in attempts} == {"pricing_unavailable"}
        assert all(line["pricing_url"] == app_java.url for line in attempts)
        order = java_stack.table().get_order(order_id)
        assert order is not None
        assert order.status is OrderStatus.QUEUED  # nothing half-written
        assert order.stored_at is None
        assert order.total_cents is None
    finally:
        app_java.start()  # same port: app-java is back
    stored = order_in(java_stack, order_id, OrderStatus.STORED)
    assert stored.pricing_source is PricingSource.APP_JAVA
    assert stored.total_cents == 2 * java_catalogue()["SKU-003"]
    # the worker logs after its conditional write: wait for the line, then count them
    java_stack.wait_worker_line(order_id, "order stored")
    stored_lines: list[dict[str, Any]] = java_stack.worker_lines(order_id, "order stored")
    assert len(stored_lines) == 1
    assert stored_lines[0]["receive_count"] >= 2  # a redelivery, not a lost message
    assert java_stack.worker.alive()
