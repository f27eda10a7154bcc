"""The worker as a real process: processing, duplicates, dead-lettering, and pricing failures that
the real app-java does not produce on demand (a stub speaking its quote API). Pricing by the real
app-java, its unknown-SKU answer and its outage: ``tests/integration/test_app_java.py``."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from orders.adapters.sqs import FAILURE_TYPE_ATTRIBUTE
from orders.devtools.stack import MotoServer, wait_until
from orders.domain.models import Order, OrderItem, OrderMessage, OrderRequest, OrderStatus
from pricing_stub import ALWAYS_500, FLAKY_503, PricingStub
from stacks import RunningStack, make_stack, take_from_dlq

pytestmark = pytest.mark.integration


def new_message(sku: str = "SKU-001", quantity: int = 1) -> OrderMessage:
    request = OrderRequest(customer_id="c-worker", items=[OrderItem(sku=sku, quantity=quantity)])
    return OrderMessage.from_order(Order.new(request))


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


# --- pricing stack: app-java's quote API (a local stub: 5xx on demand), receive limit 2 ---
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


def test_a_5xx_then_success_is_retried_within_the_delivery(pricing_stack: RunningStack) -> None:
    message = new_message(FLAKY_503)
    pricing_stack.queue().send(message)
    stored_order(pricing_stack, message.order_id, OrderStatus.STORED)
    line = pricing_stack.wait_worker_line(message.order_id, "order stored")
    assert line["receive_count"] == 1


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
