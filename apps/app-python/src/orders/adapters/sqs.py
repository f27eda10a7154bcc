"""The orders queue and its dead-letter queue, through the SQS API."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind

from orders.adapters.aws import AWS_ERRORS, describe_error, error_code
from orders.domain.models import OrderMessage
from orders.errors import DependencyUnavailable
from orders.telemetry import semconv
from orders.telemetry.propagation import MessageAttributes, inject_context

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

FAILURE_REASON_ATTRIBUTE = "orders-failure-reason"
FAILURE_TYPE_ATTRIBUTE = "orders-failure-type"


@dataclass(frozen=True)
class ReceivedMessage:
    message_id: str
    receipt_handle: str
    body: str
    receive_count: int
    sent_timestamp_ms: int | None
    message_attributes: dict[str, dict[str, Any]] = field(default_factory=dict)


def messaging_attributes(
    queue_name: str, operation: semconv.MessagingOperation
) -> dict[str, str | int]:
    operation_type = "send" if operation is semconv.MessagingOperation.PUBLISH else operation.value
    return {
        semconv.MESSAGING_SYSTEM: semconv.MESSAGING_SYSTEM_SQS,
        semconv.MESSAGING_OPERATION: operation.value,
        semconv.MESSAGING_OPERATION_TYPE: operation_type,
        semconv.MESSAGING_DESTINATION_NAME: queue_name,
    }


class OrdersQueue:
    """Send, receive, acknowledge and dead-letter order messages."""

    def __init__(
        self,
        client: SQSClient,
        queue_name: str,
        dlq_name: str,
        queue_url: str | None = None,
        dlq_url: str | None = None,
    ) -> None:
        self.client = client
        self.queue_name = queue_name
        self.dlq_name = dlq_name
        self._urls: dict[str, str] = {}
        if queue_url:
            self._urls[queue_name] = queue_url
        if dlq_url:
            self._urls[dlq_name] = dlq_url
        self._lock = threading.Lock()

    # --- addressing ---
    def _resolve(self, name: str) -> str:
        with self._lock:
            cached = self._urls.get(name)
        if cached:
            return cached
        try:
            url = self.client.get_queue_url(QueueName=name)["QueueUrl"]
        except AWS_ERRORS as exc:
            if error_code(exc) in {"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"}:
                raise DependencyUnavailable("queue", f"queue {name!r} does not exist") from exc
            raise DependencyUnavailable("queue", describe_error(exc)) from exc
        with self._lock:
            self._urls[name] = url
        return url

    @property
    def url(self) -> str:
        return self._resolve(self.queue_name)

    @property
    def dlq_url(self) -> str:
        return self._resolve(self.dlq_name)

    # --- producer ---
    def send(self, message: OrderMessage) -> str:
        """Publish an order; the producer span's context travels in the message attributes."""
        attributes = messaging_attributes(self.queue_name, semconv.MessagingOperation.PUBLISH)
        attributes[semconv.ORDER_ID] = message.order_id
        with tracer.start_as_current_span(
            f"send {self.queue_name}", kind=SpanKind.PRODUCER, attributes=attributes
        ) as span:
            carrier: MessageAttributes = {}
            inject_context(carrier)
            message_id = self.send_raw(self.url, message.model_dump_json(), carrier)
            span.set_attribute(semconv.MESSAGING_MESSAGE_ID, message_id)
            return message_id

    def send_raw(self, url: str, body: str, attributes: MessageAttributes | None = None) -> str:
        try:
            response = self.client.send_message(
                QueueUrl=url,
                MessageBody=body,
                MessageAttributes=attributes or {},  # type: ignore[arg-type]
            )
        except AWS_ERRORS as exc:
            raise DependencyUnavailable("queue", describe_error(exc)) from exc
        return response["MessageId"]

    # --- consumer ---
    def receive(self, max_messages: int, wait_seconds: int) -> list[ReceivedMessage]:
        try:
            response = self.client.receive_message(
                QueueUrl=self.url,
                MaxNumberOfMessages=max_messages,
                WaitTimeSeconds=wait_seconds,
                MessageAttributeNames=["All"],
                MessageSystemAttributeNames=["ApproximateReceiveCount", "SentTimestamp"],
            )
        except AWS_ERRORS as exc:
            raise DependencyUnavailable("queue", describe_error(exc)) from exc
        received = []
        for raw in response.get("Messages", []):
            system = raw.get("Attributes", {})
            sent = system.get("SentTimestamp")
            received.append(
                ReceivedMessage(
                    message_id=raw["MessageId"],
                    receipt_handle=raw["ReceiptHandle"],
                    body=raw.get("Body", ""),
                    receive_count=int(system.get("ApproximateReceiveCount", "1")),
                    sent_timestamp_ms=int(sent) if sent else None,
                    message_attributes=dict(raw.get("MessageAttributes", {})),  # type: ignore[arg-type]
                )
            )
        return received

    def delete(self, message: ReceivedMessage) -> None:
        try:
            self.client.delete_message(QueueUrl=self.url, ReceiptHandle=message.receipt_handle)
        except AWS_ERRORS as exc:
            raise DependencyUnavailable("queue", describe_error(exc)) from exc

    def change_visibility(self, message: ReceivedMessage, seconds: int) -> None:
        try:
            self.client.change_message_visibility(
                QueueUrl=self.url, ReceiptHandle=message.receipt_handle, VisibilityTimeout=seconds
            )
        except AWS_ERRORS as exc:
            raise DependencyUnavailable("queue", describe_error(exc)) from exc

    def dead_letter(self, message: ReceivedMessage, error_type: str, reason: str) -> str:
        """Copy a message to the DLQ with the failure reason, then delete the original."""
        attributes: MessageAttributes = {
            key: value
            for key, value in message.message_attributes.items()
            if key not in {FAILURE_REASON_ATTRIBUTE, FAILURE_TYPE_ATTRIBUTE}
        }
        attributes[FAILURE_TYPE_ATTRIBUTE] = {"DataType": "String", "StringValue": error_type}
        attributes[FAILURE_REASON_ATTRIBUTE] = {
            "DataType": "String",
            "StringValue": reason[:1000] or error_type,
        }
        dlq_message_id = self.send_raw(self.dlq_url, message.body or "(empty)", attributes)
        self.delete(message)
        return dlq_message_id

    # --- health and stats ---
    def ping(self) -> None:
        """Raise DependencyUnavailable unless the queue answers."""
        try:
            self.client.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])
        except AWS_ERRORS as exc:
            raise DependencyUnavailable("queue", describe_error(exc)) from exc

    def depth(self, url: str) -> tuple[int, int]:
        """(visible, in flight) approximate message counts."""
        try:
            attributes = self.client.get_queue_attributes(
                QueueUrl=url,
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                ],
            )["Attributes"]
        except AWS_ERRORS as exc:
            raise DependencyUnavailable("queue", describe_error(exc)) from exc
        return (
            int(attributes.get("ApproximateNumberOfMessages", "0")),
            int(attributes.get("ApproximateNumberOfMessagesNotVisible", "0")),
        )
