"""The pricing client against a real local HTTP server speaking app-java's quote API."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orders.adapters.pricing import FallbackPricer, PricingClient, backoff_delay, build_pricer
from orders.devtools.stack import free_port
from orders.domain.models import OrderItem, PricingSource
from orders.errors import PermanentProcessingError, TransientProcessingError
from pricing_stub import ALWAYS_500, FLAKY_503, SLOW, UNKNOWN, WRONG_ORDER, PricingStub


def client(url: str, sleeps: list[float], attempts: int = 3, timeout: float = 1.0) -> PricingClient:
    return PricingClient(url, timeout, attempts, 0.1, 1.0, sleep=sleeps.append)


def order_id() -> str:
    return uuid.uuid4().hex


def test_quote_posts_the_contract_body_and_parses_the_answer(pricing_stub: PricingStub) -> None:
    oid = order_id()
    quote = client(pricing_stub.url, []).quote(oid, [OrderItem(sku="SKU-001", quantity=2)])
    assert quote.order_id == oid
    assert quote.total_cents == 2598
    assert quote.lines[0].unit_price_cents == 1299
    sent = [r for r in pricing_stub.requests if r["body"]["orderId"] == oid]
    assert sent == [
        {
            "path": "/api/v1/quotes",
            "body": {"orderId": oid, "items": [{"sku": "SKU-001", "quantity": 2}]},
        }
    ]


def test_404_is_permanent_and_not_retried(pricing_stub: PricingStub) -> None:
    oid = order_id()
    with pytest.raises(PermanentProcessingError) as caught:
        client(pricing_stub.url, []).quote(oid, [OrderItem(sku=UNKNOWN, quantity=1)])
    assert caught.value.error_type == "unknown_sku"
    assert pricing_stub.calls_per_order[oid] == 1


def test_5xx_is_retried_with_backoff_then_succeeds(pricing_stub: PricingStub) -> None:
    oid, sleeps = order_id(), []
    quote = client(pricing_stub.url, sleeps).quote(oid, [OrderItem(sku=FLAKY_503, quantity=1)])
    assert quote.order_id == oid
    assert pricing_stub.calls_per_order[oid] == 2
    assert len(sleeps) == 1
    assert 0.05 <= sleeps[0] <= 0.1


def test_persistent_5xx_is_transient_after_bounded_attempts(pricing_stub: PricingStub) -> None:
    oid, sleeps = order_id(), []
    with pytest.raises(TransientProcessingError) as caught:
        client(pricing_stub.url, sleeps, attempts=3).quote(
            oid, [OrderItem(sku=ALWAYS_500, quantity=1)]
        )
    assert caught.value.error_type == "pricing_unavailable"
    assert pricing_stub.calls_per_order[oid] == 3
    assert len(sleeps) == 2


def test_timeout_is_transient(pricing_stub: PricingStub) -> None:
    with pytest.raises(TransientProcessingError) as caught:
        client(pricing_stub.url, [], attempts=1, timeout=0.3).quote(
            order_id(), [OrderItem(sku=SLOW, quantity=1)]
        )
    assert caught.value.error_type == "pricing_timeout"


def test_refused_connection_is_transient_and_names_the_url() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(TransientProcessingError) as caught:
        client(url, [], attempts=2).quote(order_id(), [OrderItem(sku="SKU-001", quantity=1)])
    assert caught.value.error_type == "pricing_unavailable"
    assert url in str(caught.value)


def test_quote_for_another_order_is_rejected(pricing_stub: PricingStub) -> None:
    with pytest.raises(TransientProcessingError) as caught:
        client(pricing_stub.url, [], attempts=1).quote(
            order_id(), [OrderItem(sku=WRONG_ORDER, quantity=1)]
        )
    assert caught.value.error_type == "pricing_bad_response"


def test_empty_pricing_url_uses_the_fallback() -> None:
    pricer = build_pricer("", 1, 1, 0.1, 1)
    assert isinstance(pricer, FallbackPricer)
    assert pricer.source is PricingSource.FALLBACK
    assert build_pricer("http://127.0.0.1:1", 1, 1, 0.1, 1).source is PricingSource.APP_JAVA


@given(
    attempt=st.integers(min_value=1, max_value=40),
    base=st.floats(min_value=0.0, max_value=5.0),
    cap=st.floats(min_value=0.0, max_value=30.0),
    draw=st.floats(min_value=0.0, max_value=1.0),
)
def test_backoff_is_bounded_by_the_cap(attempt: int, base: float, cap: float, draw: float) -> None:
    delay = backoff_delay(attempt, base, cap, lambda: draw)
    ceiling = min(cap, base * 2.0 ** (attempt - 1))
    assert ceiling / 2 <= delay <= ceiling + 1e-9
