"""Creating orders: idempotency, the order record, then the queue."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from opentelemetry import trace

from orders.adapters.dynamodb import IdempotencyKeyExists, OrdersTable
from orders.adapters.sqs import OrdersQueue
from orders.domain.models import (
    Order,
    OrderMessage,
    OrderRequest,
    OrderStatus,
    isoformat,
    utcnow,
)
from orders.errors import DependencyUnavailable, IdempotencyConflict, OrderNotFound
from orders.telemetry import semconv
from orders.telemetry.metrics import Instruments

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)


@dataclass(frozen=True)
class CreateResult:
    order: Order
    replayed: bool


class OrderService:
    """POST /orders and the reads behind GET /orders."""

    def __init__(
        self,
        table: OrdersTable,
        queue: OrdersQueue,
        instruments: Instruments,
        idempotency_ttl_seconds: int,
        recent_lookback_days: int,
    ) -> None:
        self.table = table
        self.queue = queue
        self.instruments = instruments
        self.idempotency_ttl_seconds = idempotency_ttl_seconds
        self.recent_lookback_days = recent_lookback_days

    def create(self, request: OrderRequest, key: str) -> CreateResult:
        """Create an order once per Idempotency-Key.

        The key and the order are recorded together before anything is sent: if the queue is
        down the order stays ``pending`` and the call fails with DependencyUnavailable (503); a
        retry with the same key and body finds it and sends it. Same key, other body: conflict.
        """
        with tracer.start_as_current_span(semconv.SPAN_ORDER_CREATE) as span:
            with tracer.start_as_current_span(semconv.SPAN_ORDER_VALIDATE):
                fingerprint = request.fingerprint()
            order = Order.new(request)
            replayed = False
            try:
                order = self.table.create_order(
                    order, key, fingerprint, self.idempotency_ttl_seconds
                )
            except IdempotencyKeyExists:
                order = self._replay(key, fingerprint, request)
                replayed = True
            span.set_attribute(semconv.ORDER_ID, order.order_id)
            span.set_attribute(semconv.ORDER_REPLAYED, replayed)
            span.set_attribute(semconv.ORDER_ITEM_COUNT, len(order.items))
            if order.status is OrderStatus.PENDING:
                order = self._enqueue(order)
            span.set_attribute(semconv.ORDER_STATUS, order.status.value)
            if not replayed:
                self.instruments.orders_created.add(1)
            log.info(
                "order accepted" if not replayed else "order replayed",
                extra={
                    "order_id": order.order_id,
                    "status": order.status.value,
                    "idempotent_replay": replayed,
                },
            )
            return CreateResult(order=order, replayed=replayed)

    def _replay(self, key: str, fingerprint: str, request: OrderRequest) -> Order:
        recorded = self.table.get_idempotency(key)
        if recorded is None:  # expired between the two calls
            raise DependencyUnavailable("table", "idempotency record changed; retry")
        order_id, recorded_fingerprint = recorded
        if recorded_fingerprint != fingerprint:
            raise IdempotencyConflict(
                "Idempotency-Key was already used with a different request body"
            )
        order = self.table.get_order(order_id)
        if order is None:
            # the key was recorded but not its order (the first call stopped in between):
            # same key and fingerprint, so the same body -> record it now under the same id
            log.warning(
                "recreating the order of a recorded Idempotency-Key", extra={"order_id": order_id}
            )
            order = self.table.put_order(
                Order.new(request).model_copy(update={"order_id": order_id}), key
            )
        return order

    def _enqueue(self, order: Order) -> Order:
        try:
            message_id = self.queue.send(OrderMessage.from_order(order))
        except DependencyUnavailable:
            log.warning(
                "order recorded but not queued: queue unavailable; a retry with the same "
                "Idempotency-Key will send it",
                extra={"order_id": order.order_id},
            )
            raise
        queued = self.table.mark_queued(order.order_id, message_id, isoformat(utcnow()))
        return queued or order

    def get(self, order_id: str) -> Order:
        order = self.table.get_order(order_id)
        if order is None:
            raise OrderNotFound(f"order {order_id} not found")
        return order

    def recent(self, limit: int) -> list[Order]:
        return self.table.list_recent(limit, self.recent_lookback_days)
