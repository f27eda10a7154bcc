"""POST /orders, GET /orders/{order_id}, GET /orders."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Response
from pydantic import BaseModel

from orders.api.deps import get_order_service
from orders.domain.models import Order, OrderRequest
from orders.services.ordering import OrderService

router = APIRouter(prefix="/orders", tags=["orders"])

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"


class OrderList(BaseModel):
    orders: list[Order]
    count: int


@router.post(
    "",
    status_code=202,
    response_model=Order,
    responses={
        409: {"description": "Idempotency-Key already used with a different body"},
        422: {"description": "Invalid body or missing Idempotency-Key"},
        503: {"description": "Queue or table unavailable; retry with the same Idempotency-Key"},
    },
)
def create_order(
    body: OrderRequest,
    response: Response,
    idempotency_key: Annotated[
        str,
        Header(
            alias=IDEMPOTENCY_HEADER,
            min_length=1,
            max_length=128,
            pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$",
            description="Client-chosen key: the same key and body always yield the same order.",
        ),
    ],
    service: Annotated[OrderService, Depends(get_order_service)],
) -> Order:
    """Accept an order for asynchronous processing (202); replays return the same order."""
    result = service.create(body, idempotency_key)
    response.headers["Location"] = f"/orders/{result.order.order_id}"
    if result.replayed:
        response.headers[REPLAYED_HEADER] = "true"
    return result.order


@router.get("/{order_id}", response_model=Order, responses={404: {"description": "Not found"}})
def get_order(
    order_id: Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")],
    service: Annotated[OrderService, Depends(get_order_service)],
) -> Order:
    return service.get(order_id)


@router.get("", response_model=OrderList)
def list_orders(
    service: Annotated[OrderService, Depends(get_order_service)],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> OrderList:
    """The most recent orders, newest first."""
    orders = service.recent(limit)
    return OrderList(orders=orders, count=len(orders))
