"""The orders table, through the DynamoDB API.

One table, partition key ``pk``:

- ``ORDER#<order_id>``: the order (written by the API, completed by the worker);
- ``IDEMPOTENCY#<key>``: the order an Idempotency-Key created and the request fingerprint
  (expires through the table's TTL attribute ``expires_at``);
- ``FLAGS#faults``: the fault flags shared by the API and the worker.

Global secondary index ``recent`` (``bucket`` = ``ORDERS#<yyyy-mm-dd>``, ``created_at``) lists
the newest orders without a scan; one partition per day keeps writes spread.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from orders.adapters.aws import AWS_ERRORS, describe_error, error_code
from orders.domain.faults import Faults
from orders.domain.models import (
    Order,
    OrderMessage,
    OrderStatus,
    PricingSource,
    Quote,
)
from orders.errors import DependencyUnavailable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

log = logging.getLogger(__name__)

RECENT_INDEX = "recent"
TTL_ATTRIBUTE = "expires_at"
FLAGS_KEY = "FLAGS#faults"

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


class IdempotencyKeyExists(Exception):
    """The Idempotency-Key is already recorded."""


def order_key(order_id: str) -> str:
    return f"ORDER#{order_id}"


def idempotency_key(key: str) -> str:
    return f"IDEMPOTENCY#{key}"


def bucket_of(created_at: str) -> str:
    return f"ORDERS#{created_at[:10]}"


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def to_item(data: dict[str, Any]) -> dict[str, Any]:
    """Python values to DynamoDB attribute values (floats as Decimal, None dropped)."""
    converted = {
        key: Decimal(str(value)) if isinstance(value, float) else value
        for key, value in data.items()
        if value is not None
    }
    return {key: _serializer.serialize(value) for key, value in converted.items()}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {key: _plain(_deserializer.deserialize(value)) for key, value in item.items()}


class OrdersTable:
    """Orders, idempotency records and fault flags in one DynamoDB table."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self.client = client
        self.table_name = table_name

    def _fail(self, exc: BaseException) -> DependencyUnavailable:
        return DependencyUnavailable("table", describe_error(exc))

    # --- API side ---
    def create_order(self, order: Order, key: str, fingerprint: str, ttl_seconds: int) -> Order:
        """Record the Idempotency-Key, then the order (two conditional puts).

        Raises IdempotencyKeyExists when the key was already used. If the process stops between
        the two writes, the retry with the same key finds the key without its order and
        ``put_order`` recreates it (same key and fingerprint mean the same body). Two
        conditional puts instead of a transaction: half the write cost, same outcome.
        """
        idem_data = {
            "pk": idempotency_key(key),
            "order_id": order.order_id,
            "fingerprint": fingerprint,
            "created_at": order.created_at,
            TTL_ATTRIBUTE: int(time.time()) + ttl_seconds,
        }
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item=to_item(idem_data),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except AWS_ERRORS as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                raise IdempotencyKeyExists(key) from exc
            raise self._fail(exc) from exc
        return self.put_order(order, key)

    def put_order(self, order: Order, key: str) -> Order:
        """Write the order unless it exists; returns the order as stored."""
        order_data = order.model_dump(mode="json")
        order_data.update(
            pk=order_key(order.order_id), bucket=bucket_of(order.created_at), idempotency_key=key
        )
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item=to_item(order_data),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except AWS_ERRORS as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                existing = self.get_order(order.order_id)
                if existing is not None:
                    return existing
            raise self._fail(exc) from exc
        return order

    def get_idempotency(self, key: str) -> tuple[str, str] | None:
        """(order_id, fingerprint) recorded for an Idempotency-Key."""
        item = self._get(idempotency_key(key))
        if item is None:
            return None
        return str(item["order_id"]), str(item["fingerprint"])

    def mark_queued(self, order_id: str, message_id: str, queued_at: str) -> Order | None:
        """pending -> queued; if the worker was faster, return the order as it is."""
        try:
            response = self.client.update_item(
                TableName=self.table_name,
                Key={"pk": {"S": order_key(order_id)}},
                UpdateExpression="SET #s = :queued, queued_at = :at, message_id = :mid",
                ConditionExpression="#s = :pending",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=to_item(
                    {
                        ":queued": OrderStatus.QUEUED.value,
                        ":pending": OrderStatus.PENDING.value,
                        ":at": queued_at,
                        ":mid": message_id,
                    }
                ),
                ReturnValues="ALL_NEW",
            )
        except AWS_ERRORS as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return self.get_order(order_id)
            raise self._fail(exc) from exc
        return Order.model_validate(from_item(response["Attributes"]))

    def get_order(self, order_id: str) -> Order | None:
        item = self._get(order_key(order_id))
        return Order.model_validate(item) if item else None

    def list_recent(
        self, limit: int, lookback_days: int, today: datetime | None = None
    ) -> list[Order]:
        """Newest orders first, reading one daily partition of the index at a time."""
        day = (today or datetime.now(UTC)).date()
        found: list[Order] = []
        for offset in range(lookback_days):
            if len(found) >= limit:
                break
            bucket = f"ORDERS#{(day - timedelta(days=offset)).isoformat()}"
            try:
                response = self.client.query(
                    TableName=self.table_name,
                    IndexName=RECENT_INDEX,
                    KeyConditionExpression="#b = :b",
                    ExpressionAttributeNames={"#b": "bucket"},
                    ExpressionAttributeValues={":b": {"S": bucket}},
                    ScanIndexForward=False,
                    Limit=limit - len(found),
                )
            except AWS_ERRORS as exc:
                raise self._fail(exc) from exc
            found.extend(Order.model_validate(from_item(i)) for i in response.get("Items", []))
        return found

    # --- worker side ---
    def store_processed(
        self,
        message: OrderMessage,
        quote: Quote,
        source: PricingSource,
        stored_at: str,
        trace_id: str | None,
    ) -> bool:
        """Store the priced order once: False if it was already stored (redelivery)."""
        return self._complete(
            message,
            {
                "status": OrderStatus.STORED.value,
                "stored_at": stored_at,
                "currency": quote.currency,
                "total_cents": quote.total_cents,
                "lines": [line.model_dump(mode="json") for line in quote.lines],
                "pricing_source": source.value,
                "trace_id": trace_id or "",
            },
        )

    def mark_failed(
        self, message: OrderMessage, error: str, failed_at: str, trace_id: str | None
    ) -> bool:
        """Record a permanent failure once: False if the order was stored or failed before."""
        return self._complete(
            message,
            {
                "status": OrderStatus.FAILED.value,
                "failed_at": failed_at,
                "error": error,
                "trace_id": trace_id or "",
            },
        )

    def _complete(self, message: OrderMessage, fields: dict[str, Any]) -> bool:
        """Conditional write: only if neither stored_at nor failed_at exists yet.

        Also writes the order's own fields when absent, so that a message whose order the API
        never recorded (sent by another producer) still yields a complete item.
        """
        keep = {
            "customer_id": message.customer_id,
            "items": [item.model_dump(mode="json") for item in message.items],
            "created_at": message.created_at,
            "bucket": bucket_of(message.created_at),
        }
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        clauses = []
        for index, (name, value) in enumerate({**fields, "order_id": message.order_id}.items()):
            names[f"#s{index}"] = name
            values[f":s{index}"] = value
            clauses.append(f"#s{index} = :s{index}")
        for index, (name, value) in enumerate(keep.items()):
            names[f"#k{index}"] = name
            values[f":k{index}"] = value
            clauses.append(f"#k{index} = if_not_exists(#k{index}, :k{index})")
        names.update({"#stored": "stored_at", "#failed": "failed_at"})
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key={"pk": {"S": order_key(message.order_id)}},
                UpdateExpression="SET " + ", ".join(clauses),
                ConditionExpression=(
                    "attribute_not_exists(#stored) AND attribute_not_exists(#failed)"
                ),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=to_item(values),
            )
        except AWS_ERRORS as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise self._fail(exc) from exc
        return True

    # --- fault flags ---
    def get_faults(self) -> Faults | None:
        item = self._get(FLAGS_KEY)
        if item is None:
            return None
        return Faults.model_validate({k: v for k, v in item.items() if k in Faults.model_fields})

    def put_faults(self, faults: Faults, updated_at: str) -> None:
        data = {"pk": FLAGS_KEY, "updated_at": updated_at, **faults.model_dump()}
        try:
            self.client.put_item(TableName=self.table_name, Item=to_item(data))
        except AWS_ERRORS as exc:
            raise self._fail(exc) from exc

    # --- health ---
    def ping(self) -> None:
        try:
            status = self.client.describe_table(TableName=self.table_name)["Table"]["TableStatus"]
        except AWS_ERRORS as exc:
            raise self._fail(exc) from exc
        if status not in {"ACTIVE", "UPDATING"}:
            raise DependencyUnavailable("table", f"table {self.table_name!r} is {status}")

    def _get(self, pk: str) -> dict[str, Any] | None:
        try:
            response = self.client.get_item(
                TableName=self.table_name, Key={"pk": {"S": pk}}, ConsistentRead=True
            )
        except AWS_ERRORS as exc:
            raise self._fail(exc) from exc
        item = response.get("Item")
        return from_item(item) if item else None
