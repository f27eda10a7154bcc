"""Orders as the API accepts them, as the queue carries them and as the table stores them."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, StringConstraints

Sku = Annotated[str, StringConstraints(pattern=r"^SKU-\d{3}$")]
CustomerId = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
]
IdempotencyKey = Annotated[
    str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")
]
OrderId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]

MESSAGE_SCHEMA_VERSION = 1


def utcnow() -> datetime:
    return datetime.now(UTC)


def isoformat(moment: datetime) -> str:
    """Fixed-width UTC timestamps (microseconds) so that they sort as strings."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class OrderStatus(StrEnum):
    PENDING = "pending"  # recorded, not yet on the queue (the queue was down)
    QUEUED = "queued"  # on the queue, waiting for the worker
    STORED = "stored"  # priced and stored by the worker
    FAILED = "failed"  # can never be processed (e.g. unknown SKU); message dead-lettered


class OrderItem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sku: Sku = Field(description="Stock-keeping unit, SKU- and three digits.")
    quantity: int = Field(ge=1, le=1000)


class OrderRequest(BaseModel):
    """Body of POST /orders."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "examples": [{"customer_id": "c-42", "items": [{"sku": "SKU-001", "quantity": 2}]}]
        },
    )

    customer_id: CustomerId
    items: list[OrderItem] = Field(min_length=1, max_length=50)

    def fingerprint(self) -> str:
        """Hash of the canonical body: same key + same fingerprint = the same request."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


class QuoteLine(BaseModel):
    """One priced line. Only sku and quantity are required from the pricing service."""

    model_config = ConfigDict(extra="ignore")

    sku: str
    quantity: int
    unit_price_cents: int | None = Field(
        default=None, validation_alias=AliasChoices("unit_price_cents", "unitPriceCents")
    )
    line_total_cents: int | None = Field(
        default=None, validation_alias=AliasChoices("line_total_cents", "lineTotalCents")
    )


class Quote(BaseModel):
    """Response of app-java's POST /api/v1/quotes (camelCase on the wire)."""

    model_config = ConfigDict(extra="ignore")

    order_id: str = Field(validation_alias=AliasChoices("orderId", "order_id"))
    currency: str = Field(min_length=3, max_length=3)
    total_cents: int = Field(ge=0, validation_alias=AliasChoices("totalCents", "total_cents"))
    lines: list[QuoteLine] = Field(default_factory=list)


class PricingSource(StrEnum):
    APP_JAVA = "app-java"
    FALLBACK = "fallback"


class Order(BaseModel):
    """An order as GET /orders/{id} returns it."""

    model_config = ConfigDict(extra="ignore")

    order_id: OrderId
    customer_id: str
    items: list[OrderItem]
    status: OrderStatus
    created_at: str
    queued_at: str | None = None
    stored_at: str | None = None
    failed_at: str | None = None
    currency: str | None = None
    total_cents: int | None = None
    lines: list[QuoteLine] | None = None
    pricing_source: PricingSource | None = None
    error: str | None = None
    trace_id: str | None = Field(
        default=None, description="Trace of the worker's processing (for finding it in Tempo)."
    )

    @classmethod
    def new(cls, request: OrderRequest, now: datetime | None = None) -> Order:
        return cls(
            order_id=uuid.uuid4().hex,
            customer_id=request.customer_id,
            items=list(request.items),
            status=OrderStatus.PENDING,
            created_at=isoformat(now or utcnow()),
        )


class OrderMessage(BaseModel):
    """Body of a message on the orders queue (JSON). Trace context travels as attributes."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    version: int = Field(default=MESSAGE_SCHEMA_VERSION, ge=1, le=MESSAGE_SCHEMA_VERSION)
    order_id: OrderId
    customer_id: CustomerId
    items: list[OrderItem] = Field(min_length=1, max_length=50)
    created_at: str

    @classmethod
    def from_order(cls, order: Order) -> OrderMessage:
        return cls(
            order_id=order.order_id,
            customer_id=order.customer_id,
            items=order.items,
            created_at=order.created_at,
        )
