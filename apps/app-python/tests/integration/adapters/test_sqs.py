"""The queue adapter against a real SQS-API server (moto_server over HTTP)."""

from __future__ import annotations

import json

import pytest

from orders.adapters.sqs import FAILURE_REASON_ATTRIBUTE, FAILURE_TYPE_ATTRIBUTE, OrdersQueue
from orders.devtools.stack import wait_until
from orders.domain.models import Order, OrderItem, OrderMessage, OrderRequest
from orders.errors import DependencyUnavailable

pytestmark = pytest.mark.integration


def message() -> OrderMessage:
    return OrderMessage.from_order(
        Order.new(OrderRequest(customer_id="c", items=[OrderItem(sku="SKU-002", quantity=1)]))
    )


def test_send_and_receive_carry_body_count_and_timestamp(queue: OrdersQueue) -> None:
    sent = message()
    message_id = queue.send(sent)
    received = wait_until(lambda: queue.receive(10, 1), 10, "the message")
    assert [m.message_id for m in received] == [message_id]
    assert OrderMessage.model_validate_json(received[0].body) == sent
    assert received[0].receive_count == 1
    assert received[0].sent_timestamp_ms is not None
    queue.delete(received[0])
    assert queue.depth(queue.url) == (0, 0)


def test_redrive_policy_moves_a_message_to_the_dlq_after_max_receives(queue: OrdersQueue) -> None:
    queue.send(message())
    for attempt in (1, 2):
        got = wait_until(lambda: queue.receive(1, 1), 10, f"receive {attempt}")
        assert got[0].receive_count == attempt
        queue.change_visibility(got[0], 0)

    def in_dlq() -> bool:
        queue.receive(1, 0)  # the receive that finds the limit reached moves it
        return queue.depth(queue.dlq_url)[0] == 1

    wait_until(in_dlq, 10, "the message in the DLQ")


def test_dead_letter_copies_with_the_reason_and_deletes(queue: OrdersQueue) -> None:
    queue.send_raw(queue.url, "not json")
    got = wait_until(lambda: queue.receive(1, 1), 10, "the message")
    queue.dead_letter(got[0], "invalid_message", "invalid order message: body: Invalid JSON")
    assert queue.depth(queue.url) == (0, 0)
    raw = queue.client.receive_message(
        QueueUrl=queue.dlq_url, MessageAttributeNames=["All"], WaitTimeSeconds=1
    )["Messages"][0]
    assert raw["Body"] == "not json"
    attributes = raw["MessageAttributes"]
    assert attributes[FAILURE_TYPE_ATTRIBUTE]["StringValue"] == "invalid_message"
    assert "Invalid JSON" in attributes[FAILURE_REASON_ATTRIBUTE]["StringValue"]


def test_missing_queue_is_reported_as_unavailable(queue: OrdersQueue) -> None:
    missing = OrdersQueue(queue.client, "no-such-queue", "no-such-queue-dlq")
    with pytest.raises(DependencyUnavailable, match="does not exist"):
        missing.ping()
    assert json.loads(json.dumps({"ok": True}))  # the client stays usable
    queue.ping()
