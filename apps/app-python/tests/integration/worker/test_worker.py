"""The worker as a real process: processing, duplicates, dead-lettering, pricing via app-java."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orders.adapters.sqs import FAILURE_TYPE_ATTRIBUTE, OrdersQueue
from orders.devtools.stack import MotoServer, wait_until
from orders.domain.models import Order, OrderItem, OrderMessage, OrderRequest, OrderStatus
from pricing_stub import ALWAYS_500, FLAKY_503, UNKNOWN, PricingStub
from stacks import RunningStack, make_stack

pytestmark = pytest.mark.integration


def new_message(sku: str = "SKU-001", quantity: int = 1) -> OrderMessage:
    request = OrderRequest(customer_id="c-worker", items=[OrderItem(sku=sku, quantity=quantity)])
    return OrderMessage.from_order(Order.new(request))


def take_from_dlq(queue: OrdersQueue, body_contains: str, timeout: float = 60) -> dict[str, Any]:
    """Receive from the DLQ until a message whose body contains the marker shows up."""

    def probe() -> dict[str, Any] | None:
        response = queue.client.receive_message(
            QueueUrl=queue.dlq_url,
            MaxNumberOfMessages=10,
            MessageAttributeNames=["All"],
            VisibilityTimeout=0,
            WaitTimeSeconds=0,
        )
        for raw in response.get("Messages", []):
            if body_contains in raw["Body"]:
                queue.client.delete_message(
                    QueueUrl=queue.dlq_url, ReceiptHandle=raw["ReceiptHandle"]
                )
                return dict(raw)
        return None

    return wait_until(probe, timeout, f"DLQ message containing {body_contains}", interval=0.2)


def stored_order(running: RunningStack, order_id: str, status: OrderStatus) -> Order:
    table = running.table()

    def probe() -> Order | None:
        order = table.get_order(order_id)
        return order if order is not None and order.status is status else None

    return wait_until(probe, 60, f"order {order_id} {status}", interval=0.1)


# --- main stack: local (fallback) pricing ---
def test_duplicate_delivery_is_stored_once(main_stack: RunningStack) -> None:
    queue = main_stack.queue()
    message = new_message("SKU-002", 2)
    queue.send(message)
    queue.send(message)  # the same order delivered twice
    main_stack.wait_worker_line(
        message.order_id, "duplicate delivery skipped: order already processed"
    )
    order = stored_order(main_stack, message.order_id, OrderStatus.STORED)
    assert order.total_cents == 2 * 2499
    assert len(main_stack.worker_lines(message.order_id, "order stored")) == 1
    wait_until(lambda: queue.depth(queue.url) == (0, 0), 10, "both messages deleted")


def test_poison_message_ends_in_the_dlq(main_stack: RunningStack) -> None:
    queue = main_stack.queue()
    marker = uuid.uuid4().hex
    message_id = queue.send_raw(queue.url, f"poison {marker}")
    dead = take_from_dlq(queue, marker)
    assert dead["Body"] == f"poison {marker}"
    assert dead["MessageAttributes"][FAILURE_TYPE_ATTRIBUTE]["StringValue"] == "invalid_message"
    assert main_stack.worker is not None
    line = main_stack.worker.wait_for_log(
        lambda line: line.get("message_id") == message_id and line["level"] == "ERROR",
        60,
        "the dead-letter log line",
    )
    assert line["message"] == "order failed permanently; message moved to the dead-letter queue"
    assert line["error_type"] == "invalid_message"


def test_unknown_sku_marks_the_order_failed_and_dead_letters(main_stack: RunningStack) -> None:
    response = main_stack.client.post(
        "/orders",
        json={"customer_id": "c-worker", "items": [{"sku": "SKU-999", "quantity": 1}]},
        headers={"Idempotency-Key": f"test-{uuid.uuid4().hex}"},
    )
    assert response.status_code == 202
    order_id = response.json()["order_id"]
    failed = stored_order(main_stack, order_id, OrderStatus.FAILED)
    assert failed.error is not None
    assert "SKU-999" in failed.error
    assert failed.total_cents is None
    dead = take_from_dlq(main_stack.queue(), order_id)
    assert json.loads(dead["Body"])["order_id"] == order_id
    assert main_stack.client.get(f"/orders/{order_id}").json()["status"] == "failed"


# --- pricing stack: app-java's quote API (a local stub), receive limit 2 ---
@pytest.fixture(scope="module")
def pricing_stack(
    workdir: Path, moto: MotoServer, pricing_stub: PricingStub
) -> Iterator[RunningStack]:
    running = make_stack(
        workdir,
        moto,
        api=False,
        bootstrap_overrides={"max_receive_count": 2},
        PRICING_URL=pricing_stub.url,
        PRICING_MAX_ATTEMPTS="2",
        PRICING_BACKOFF_SECONDS="0.05",
        PRICING_TIMEOUT_SECONDS="3",
        WORKER_RETRY_BASE_SECONDS="2",
        ORDERS_MAX_RECEIVE_COUNT="2",
    )
    yield running
    running.client.close()
    running.stack.stop()


def test_priced_by_app_java(pricing_stack: RunningStack, pricing_stub: PricingStub) -> None:
    message = new_message("SKU-002", 3)
    pricing_stack.queue().send(message)
    order = stored_order(pricing_stack, message.order_id, OrderStatus.STORED)
    assert order.pricing_source is not None
    assert order.pricing_source.value == "app-java"
    assert order.total_cents == 3 * 2499
    assert order.lines is not None
    assert order.lines[0].unit_price_cents == 2499
    calls = [r["body"] for r in pricing_stub.requests if r["body"]["orderId"] == message.order_id]
    assert calls  # every call (a slow answer may be retried) carries the contract's body
    assert all(
        call == {"orderId": message.order_id, "items": [{"sku": "SKU-002", "quantity": 3}]}
        for call in calls
    )


def test_a_5xx_then_success_is_retried_within_the_delivery(pricing_stack: RunningStack) -> None:
    message = new_message(FLAKY_503)
    pricing_stack.queue().send(message)
    stored_order(pricing_stack, message.order_id, OrderStatus.STORED)
    line = pricing_stack.wait_worker_line(message.order_id, "order stored")
    assert line["receive_count"] == 1


def test_unknown_sku_from_app_java_fails_permanently(pricing_stack: RunningStack) -> None:
    message = new_message(UNKNOWN)
    pricing_stack.queue().send(message)
    order = stored_order(pricing_stack, message.order_id, OrderStatus.FAILED)
    assert order.error is not None
    assert "404" in order.error or "unknown" in order.error
    take_from_dlq(pricing_stack.queue(), message.order_id)


def test_persistent_5xx_goes_to_the_dlq_by_the_redrive_policy(pricing_stack: RunningStack) -> None:
    message = new_message(ALWAYS_500)
    pricing_stack.queue().send(message)
    last = pricing_stack.wait_worker_line(
        message.order_id,
        "order processing failed; message left on the queue for redelivery; receive limit "
        "reached, SQS will move it to the dead-letter queue",
    )
    assert last["receive_count"] == 2
    assert last["error_type"] == "pricing_unavailable"
    dead = take_from_dlq(pricing_stack.queue(), message.order_id)
    assert FAILURE_TYPE_ATTRIBUTE not in dead.get("MessageAttributes", {})  # moved by SQS
    order = pricing_stack.table().get_order(message.order_id)
    assert order is None or order.status is not OrderStatus.STORED


def test_app_java_down_fails_cleanly_and_the_order_is_stored_once_it_is_back(
    pricing_stack: RunningStack, pricing_stub: PricingStub
) -> None:
    pricing_stub.stop()
    try:
        message = new_message("SKU-003", 1)
        pricing_stack.queue().send(message)
        line = pricing_stack.wait_worker_line(
            message.order_id, "order processing failed; message left on the queue for redelivery"
        )
        assert line["error_type"] == "pricing_unavailable"
        assert pricing_stub.url in line["reason"]
        assert line["retry_in_seconds"] == 2
        assert pricing_stack.table().get_order(message.order_id) is None  # nothing half-written
    finally:
        pricing_stub.start()  # same port: app-java is back
    order = stored_order(pricing_stack, message.order_id, OrderStatus.STORED)
    assert order.pricing_source is not None
    assert order.pricing_source.value == "app-java"
    assert pricing_stack.wait_worker_line(message.order_id, "order stored")["receive_count"] == 2
