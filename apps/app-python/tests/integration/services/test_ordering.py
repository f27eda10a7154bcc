"""Order creation (idempotency, recovery) in-process against the real AWS-API server."""

from __future__ import annotations

import time
import uuid

import pytest

from orders.adapters import aws
from orders.adapters.dynamodb import TTL_ATTRIBUTE, OrdersTable, idempotency_key, to_item
from orders.adapters.sqs import OrdersQueue
from orders.domain.models import OrderItem, OrderMessage, OrderRequest, OrderStatus
from orders.errors import DependencyUnavailable, IdempotencyConflict
from orders.services.ordering import OrderService
from orders.settings import Settings
from orders.telemetry.metrics import Instruments

pytestmark = pytest.mark.integration

REQUEST = OrderRequest(customer_id="c-svc", items=[OrderItem(sku="SKU-004", quantity=1)])


def service(table: OrdersTable, queue: OrdersQueue) -> OrderService:
    return OrderService(table, queue, Instruments(), 3600, 7)


def test_create_replay_conflict(table: OrdersTable, queue: OrdersQueue) -> None:
    orders = service(table, queue)
    first = orders.create(REQUEST, "k1")
    assert first.replayed is False
    assert first.order.status is OrderStatus.QUEUED
    again = orders.create(REQUEST, "k1")
    assert again.replayed is True
    assert again.order.order_id == first.order.order_id
    other = OrderRequest(customer_id="c-svc", items=[OrderItem(sku="SKU-004", quantity=2)])
    with pytest.raises(IdempotencyConflict):
        orders.create(other, "k1")
    received = queue.receive(10, 1)
    assert [OrderMessage.model_validate_json(m.body).order_id for m in received] == [
        first.order.order_id
    ]


def test_queue_down_keeps_the_order_pending_and_the_retry_sends_it(
    resources: Settings, table: OrdersTable, queue: OrdersQueue
) -> None:
    dead = resources.model_copy(
        update={"sqs_endpoint_url": "http://127.0.0.1:9", "aws_max_attempts": 1}
    )
    down_queue = OrdersQueue(
        aws.sqs_client(dead), resources.queue_name, resources.dlq_name, queue_url=queue.url
    )
    with pytest.raises(DependencyUnavailable) as caught:
        service(table, down_queue).create(REQUEST, "k-outage")
    assert caught.value.dependency == "queue"
    recorded = table.get_idempotency("k-outage")
    assert recorded is not None
    pending = table.get_order(recorded[0])
    assert pending is not None
    assert pending.status is OrderStatus.PENDING

    retried = service(table, queue).create(REQUEST, "k-outage")
    assert retried.order.order_id == recorded[0]
    assert retried.order.status is OrderStatus.QUEUED
    assert [m.message_id for m in queue.receive(10, 1)]


def test_a_key_recorded_without_its_order_is_completed_on_retry(
    table: OrdersTable, queue: OrdersQueue
) -> None:
    order_id = uuid.uuid4().hex
    table.client.put_item(  # as if the first call stopped between its two writes
        TableName=table.table_name,
        Item=to_item(
            {
                "pk": idempotency_key("k-half"),
                "order_id": order_id,
                "fingerprint": REQUEST.fingerprint(),
                "created_at": "2030-01-01T00:00:00.000000Z",
                TTL_ATTRIBUTE: int(time.time()) + 60,
            }
        ),
    )
    result = service(table, queue).create(REQUEST, "k-half")
    assert result.replayed is True
    assert result.order.order_id == order_id
    assert result.order.status is OrderStatus.QUEUED
    stored = table.get_order(order_id)
    assert stored is not None
    assert stored.items == list(REQUEST.items)
