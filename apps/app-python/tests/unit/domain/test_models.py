from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from orders.domain.models import Order, OrderItem, OrderMessage, OrderRequest, OrderStatus, Quote

skus = st.from_regex(r"\ASKU-[0-9]{3}\Z")
quantities = st.integers(min_value=1, max_value=1000)
items = st.lists(st.builds(OrderItem, sku=skus, quantity=quantities), min_size=1, max_size=50)


@given(items=items)
def test_valid_requests_round_trip_through_the_message(items: list[OrderItem]) -> None:
    request = OrderRequest(customer_id="c-1", items=items)
    order = Order.new(request)
    message = OrderMessage.from_order(order)
    assert OrderMessage.model_validate_json(message.model_dump_json()) == message
    assert order.status is OrderStatus.PENDING
    assert len(order.order_id) == 32


@given(quantity=st.one_of(st.integers(max_value=0), st.integers(min_value=1001)))
def test_quantity_outside_1_to_1000_is_rejected(quantity: int) -> None:
    with pytest.raises(ValidationError):
        OrderItem(sku="SKU-001", quantity=quantity)


@pytest.mark.parametrize("sku", ["SKU-01", "SKU-0001", "sku-001", "SKU_001", " SKU-001", "SKU-00a"])
def test_sku_must_be_sku_dash_three_digits(sku: str) -> None:
    with pytest.raises(ValidationError):
        OrderItem(sku=sku, quantity=1)


def test_request_rejects_unknown_fields_and_empty_items() -> None:
    with pytest.raises(ValidationError):
        OrderRequest.model_validate({"customer_id": "c", "items": [], "coupon": "x"})
    with pytest.raises(ValidationError):
        OrderRequest.model_validate({"customer_id": "c", "items": []})


def test_fingerprint_is_canonical_and_body_sensitive() -> None:
    a = OrderRequest.model_validate_json(
        '{"customer_id":"c","items":[{"sku":"SKU-001","quantity":2}]}'
    )
    b = OrderRequest.model_validate_json(
        '{ "items": [ {"quantity": 2, "sku": "SKU-001"} ], "customer_id": "c" }'
    )
    c = OrderRequest.model_validate_json(
        '{"customer_id":"c","items":[{"sku":"SKU-001","quantity":3}]}'
    )
    assert a.fingerprint() == b.fingerprint()
    assert a.fingerprint() != c.fingerprint()


def test_quote_accepts_app_java_camel_case() -> None:
    quote = Quote.model_validate_json(
        '{"orderId":"o1","currency":"USD","totalCents":2598,'
        '"lines":[{"sku":"SKU-001","quantity":2,"unitPriceCents":1299,"lineTotalCents":2598}]}'
    )
    assert quote.order_id == "o1"
    assert quote.total_cents == 2598
    assert quote.lines[0].unit_price_cents == 1299
    # stored and returned in the API's snake_case
    assert quote.lines[0].model_dump()["line_total_cents"] == 2598
