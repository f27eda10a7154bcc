from __future__ import annotations

import pytest

from orders.domain.models import OrderItem
from orders.domain.pricing import FALLBACK_CATALOGUE, price_locally
from orders.errors import PermanentProcessingError


def test_prices_lines_and_total_from_the_catalogue() -> None:
    quote = price_locally(
        "o1", [OrderItem(sku="SKU-001", quantity=2), OrderItem(sku="SKU-003", quantity=1)]
    )
    assert quote.total_cents == 2 * 1299 + 499
    assert quote.currency == "USD"
    assert [line.line_total_cents for line in quote.lines] == [2598, 499]
    assert FALLBACK_CATALOGUE["SKU-001"] == 1299


def test_unknown_sku_is_a_permanent_failure_naming_it() -> None:
    with pytest.raises(PermanentProcessingError) as caught:
        price_locally("o1", [OrderItem(sku="SKU-999", quantity=1)])
    assert caught.value.error_type == "unknown_sku"
    assert "SKU-999" in str(caught.value)
