"""Processing one order message: parse, skip duplicates, price, store once, acknowledge.

Outcomes:
- stored: priced and written with a conditional write (``attribute_not_exists(stored_at)``),
  then the message is deleted;
- duplicate: the order was already stored (redelivery, or a second copy): deleted, not redone;
- failed: a permanent failure (invalid message, unknown SKU): the order is marked ``failed``
  and the message is moved to the DLQ with the reason as attributes;
- retry: a transient failure (pricing down, table down): the message stays on the queue with a
  visibility backoff; after ORDERS_MAX_RECEIVE_COUNT receives the redrive policy moves it to
  the DLQ.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from enum import StrEnum

from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from pydantic import ValidationError

from orders.adapters.dynamodb import OrdersTable
from orders.adapters.pricing import Pricer
from orders.adapters.sqs import OrdersQueue, ReceivedMessage, messaging_attributes
from orders.domain.models import OrderMessage, isoformat, utcnow
from orders.errors import (
    DependencyUnavailable,
    PermanentProcessingError,
    TransientProcessingError,
)
from orders.telemetry import semconv
from orders.telemetry.metrics import Instruments
from orders.telemetry.propagation import extract_context

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)


class Outcome(StrEnum):
    STORED = "stored"
    DUPLICATE = "duplicate"
    FAILED = "failed"
    RETRY = "retry"


@dataclass(frozen=True)
class RetryPolicy:
    base_seconds: int
    max_seconds: int
    max_receive_count: int

    def delay(self, receive_count: int) -> int:
        """Visibility timeout before the next delivery: base * 2^(n-1), capped."""
        exponent = min(max(receive_count - 1, 0), 30)
        return int(min(self.max_seconds, self.base_seconds * (2**exponent)))


class OrderProcessor:
    def __init__(
        self,
        table: OrdersTable,
        queue: OrdersQueue,
        pricer: Pricer,
        instruments: Instruments,
        retry: RetryPolicy,
    ) -> None:
        self.table = table
        self.queue = queue
        self.pricer = pricer
        self.instruments = instruments
        self.retry = retry

    def handle(self, message: ReceivedMessage) -> Outcome:
        """Process one message; never raises for a processing failure."""
        attributes = messaging_attributes(self.queue.queue_name, semconv.MessagingOperation.PROCESS)
        attributes[semconv.MESSAGING_MESSAGE_ID] = message.message_id
        attributes[semconv.MESSAGING_DELIVERY_COUNT] = message.receive_count
        started = time.perf_counter()
        error_type: str | None = None
        with tracer.start_as_current_span(
            f"process {self.queue.queue_name}",
            context=extract_context(message.message_attributes),
            kind=SpanKind.CONSUMER,
            attributes=attributes,
        ) as span:
            order: OrderMessage | None = None
            try:
                order = self._parse(message)
                span.set_attribute(semconv.ORDER_ID, order.order_id)
                outcome = self._process(message, order)
            except PermanentProcessingError as exc:
                error_type = exc.error_type
                self._mark_error(span, error_type, exc)
                outcome = self._fail(message, order, exc)
            except (TransientProcessingError, DependencyUnavailable) as exc:
                error_type = (
                    exc.error_type
                    if isinstance(exc, TransientProcessingError)
                    else f"{exc.dependency}_unavailable"
                )
                self._mark_error(span, error_type, exc)
                outcome = self._retry(message, order, error_type, str(exc))
            except Exception as exc:  # a bug must not stop the worker: retry, then the DLQ
                error_type = "internal_error"
                log.exception(
                    "unexpected error while processing a message",
                    extra={"message_id": message.message_id},
                )
                self._mark_error(span, error_type, exc)
                outcome = self._retry(message, order, error_type, f"{type(exc).__name__}: {exc}")
            span.set_attribute(semconv.ORDER_STATUS, outcome.value)
        duration_attributes = {semconv.ORDER_STATUS: outcome.value}
        if error_type:
            duration_attributes[semconv.ERROR_TYPE] = error_type
        self.instruments.processing_duration.record(
            time.perf_counter() - started, duration_attributes
        )
        return outcome

    @staticmethod
    def _mark_error(span: Span, error_type: str, exc: Exception) -> None:
        span.set_attribute(semconv.ERROR_TYPE, error_type)
        span.set_status(Status(StatusCode.ERROR, str(exc)))

    @staticmethod
    def _parse(message: ReceivedMessage) -> OrderMessage:
        try:
            return OrderMessage.model_validate_json(message.body)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "body"
            raise PermanentProcessingError(
                "invalid_message", f"invalid order message: {where}: {first['msg']}"
            ) from None

    def _process(self, message: ReceivedMessage, order: OrderMessage) -> Outcome:
        with tracer.start_as_current_span(semconv.SPAN_ORDER_PROCESS) as span:
            span.set_attribute(semconv.ORDER_ID, order.order_id)
            span.set_attribute(semconv.ORDER_ITEM_COUNT, len(order.items))
            existing = self.table.get_order(order.order_id)
            if existing is not None and (existing.stored_at or existing.failed_at):
                return self._duplicate(message, order)

            with tracer.start_as_current_span(semconv.SPAN_ORDER_PRICE) as price_span:
                price_span.set_attribute(semconv.PRICING_SOURCE, self.pricer.source.value)
                quote = self.pricer.quote(order.order_id, order.items)

            stored_at = utcnow()
            with tracer.start_as_current_span(semconv.SPAN_ORDER_STORE):
                stored = self.table.store_processed(
                    order, quote, self.pricer.source, isoformat(stored_at), _trace_id()
                )
            if not stored:
                return self._duplicate(message, order)
            self._acknowledge(message, order)
            self.instruments.orders_processed.add(
                1, {semconv.PRICING_SOURCE: self.pricer.source.value}
            )
            if message.sent_timestamp_ms is not None:
                latency = max(0.0, stored_at.timestamp() - message.sent_timestamp_ms / 1000)
                self.instruments.end_to_end_duration.record(latency)
            log.info(
                "order stored",
                extra={
                    "order_id": order.order_id,
                    "total_cents": quote.total_cents,
                    "currency": quote.currency,
                    "pricing_source": self.pricer.source.value,
                    "receive_count": message.receive_count,
                },
            )
            return Outcome.STORED

    def _acknowledge(self, message: ReceivedMessage, order: OrderMessage) -> None:
        try:
            self.queue.delete(message)
        except DependencyUnavailable as exc:
            # The order is stored; a redelivery will be recognised as a duplicate.
            log.warning(
                "order stored but message not deleted; its redelivery will be skipped",
                extra={"order_id": order.order_id, "reason": str(exc)},
            )

    def _duplicate(self, message: ReceivedMessage, order: OrderMessage) -> Outcome:
        self.instruments.orders_duplicates.add(1)
        log.info(
            "duplicate delivery skipped: order already processed",
            extra={
                "order_id": order.order_id,
                "message_id": message.message_id,
                "receive_count": message.receive_count,
            },
        )
        self._acknowledge(message, order)
        return Outcome.DUPLICATE

    def _fail(
        self, message: ReceivedMessage, order: OrderMessage | None, exc: PermanentProcessingError
    ) -> Outcome:
        self.instruments.orders_failed.add(1, {semconv.ERROR_TYPE: exc.error_type})
        try:
            if order is not None:
                self.table.mark_failed(order, str(exc), isoformat(utcnow()), _trace_id())
            self.queue.dead_letter(message, exc.error_type, str(exc))
        except DependencyUnavailable as dependency:
            return self._retry(
                message, order, f"{dependency.dependency}_unavailable", str(dependency), count=False
            )
        log.error(
            "order failed permanently; message moved to the dead-letter queue",
            extra={
                "order_id": order.order_id if order else None,
                "message_id": message.message_id,
                "error_type": exc.error_type,
                "reason": str(exc),
                "dead_letter_queue": self.queue.dlq_name,
            },
        )
        return Outcome.FAILED

    def _retry(
        self,
        message: ReceivedMessage,
        order: OrderMessage | None,
        error_type: str,
        reason: str,
        count: bool = True,
    ) -> Outcome:
        if count:
            self.instruments.orders_failed.add(1, {semconv.ERROR_TYPE: error_type})
        delay = self.retry.delay(message.receive_count)
        try:
            self.queue.change_visibility(message, delay)
        except DependencyUnavailable as exc:
            log.warning("could not set the retry delay", extra={"reason": str(exc)})
        last = message.receive_count >= self.retry.max_receive_count
        log.warning(
            "order processing failed; message left on the queue for redelivery"
            + (
                "; receive limit reached, SQS will move it to the dead-letter queue" if last else ""
            ),
            extra={
                "order_id": order.order_id if order else None,
                "message_id": message.message_id,
                "error_type": error_type,
                "reason": reason,
                "receive_count": message.receive_count,
                "max_receive_count": self.retry.max_receive_count,
                "retry_in_seconds": delay,
            },
        )
        return Outcome.RETRY


def _trace_id() -> str | None:
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None
