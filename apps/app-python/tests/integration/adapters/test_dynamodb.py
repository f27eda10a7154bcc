"""The table adapter against a real DynamoDB-API server (moto_server over HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from orders.adapters.dynamodb import IdempotencyKeyExists, OrdersTable
from orders.domain.faults import Faults
from orders.domain.models import (
    Order,
    OrderItem,
    OrderMessage,
    OrderRequest,
    OrderStatus,
    PricingSource,
    isoformat,
)
from orders.domain.pricing import price_locally

pytestmark = pytest.mark.integration

REQUEST = OrderRequest(customer_id="c-1", items=[OrderItem(sku="SKU-001", quantity=2)])


def test_create_records_order_and_key_once(table: OrdersTable) -> None:
    order = Order.new(REQUEST)
    assert table.create_order(order, "key-1", REQUEST.fingerprint(), 3600) == order
    assert table.get_idempotency("key-1") == (order.order_id, REQUEST.fingerprint())
    stored = table.get_order(order.order_id)
    assert stored is not None
    assert stored.status is OrderStatus.PENDING
    with pytest.raises(IdempotencyKeyExists):
        table.create_order(Order.new(REQUEST), "key-1", REQUEST.fingerprint(), 3600)


def test_mark_queued_moves_pending_only(table: OrdersTable) -> None:
    order = Order.new(REQUEST)
    table.create_order(order, "key-2", REQUEST.fingerprint(), 3600)
    queued = table.mark_queued(order.order_id, "m-1", isoformat(datetime.now(UTC)))
    assert queued is not None
    assert queued.status is OrderStatus.QUEUED
    message = OrderMessage.from_order(order)
    quote = price_locally(order.order_id, order.items)
    assert table.store_processed(
        message, quote, PricingSource.FALLBACK, "2030-01-01T00:00:00.000000Z", "t"
    )
    # a late "queued" update must not undo "stored"
    after = table.mark_queued(order.order_id, "m-2", isoformat(datetime.now(UTC)))
    assert after is not None
    assert after.status is OrderStatus.STORED


def test_store_is_conditional_so_a_redelivery_is_processed_once(table: OrdersTable) -> None:
    order = Order.new(REQUEST)
    message = OrderMessage.from_order(order)  # an order the API never recorded
    quote = price_locally(order.order_id, order.items)
    assert table.store_processed(
        message, quote, PricingSource.FALLBACK, "2030-01-01T00:00:00.000000Z", "t1"
    )
    assert not table.store_processed(
        message, quote, PricingSource.APP_JAVA, "2030-01-02T00:00:00.000000Z", "t2"
    )
    assert not table.mark_failed(message, "late failure", "2030-01-03T00:00:00.000000Z", "t3")
    stored = table.get_order(order.order_id)
    assert stored is not None
    assert stored.status is OrderStatus.STORED
    assert stored.stored_at == "2030-01-01T00:00:00.000000Z"
    assert stored.pricing_source is PricingSource.FALLBACK
    assert stored.total_cents == 2598
    assert stored.customer_id == "c-1"
    assert stored.trace_id == "t1"


def test_recent_lists_newest_first_across_days(table: OrdersTable) -> None:
    today = datetime.now(UTC)
    created = []
    for days_ago, key in ((2, "old"), (0, "new-1"), (0, "new-2")):
        order = Order.new(REQUEST, now=today - timedelta(days=days_ago, seconds=-len(created)))
        table.create_order(order, key, REQUEST.fingerprint(), 3600)
        created.append(order.order_id)
    recent = table.list_recent(limit=10, lookback_days=7)
    assert [o.order_id for o in recent] == [created[2], created[1], created[0]]
    assert [o.order_id for o in table.list_recent(limit=2, lookback_days=7)] == created[:0:-1]
    assert [o.order_id for o in table.list_recent(limit=10, lookback_days=1)] == created[:0:-1]


def test_fault_flags_round_trip(table: OrdersTable) -> None:
    assert table.get_faults() is None
    faults = Faults(latency_ms=150, error_rate=0.5, worker_crash=True, worker_slow_ms=20)
    table.put_faults(faults, "2030-01-01T00:00:00.000000Z")
    assert table.get_faults() == faults


def test_ping_reports_a_missing_table(table: OrdersTable) -> None:
    table.ping()
    missing = OrdersTable(table.client, "no-such-table")
    from orders.errors import DependencyUnavailable

    with pytest.raises(DependencyUnavailable, match="ResourceNotFoundException"):
        missing.ping()
