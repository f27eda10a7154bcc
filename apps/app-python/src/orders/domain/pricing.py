"""The fallback price catalogue: prices orders when PRICING_URL is empty (the app alone).

A small offline catalogue of the first ten demo SKUs. app-java serves the lab's full catalogue
(50 SKUs, ``apps/app-java/src/main/resources/catalog.json``): only SKU-001 has the same price in
both, so an order's total tells which of the two priced it (the cross-service tests rely on it).
An unknown SKU is a permanent failure either way.
"""

from __future__ import annotations

from collections.abc import Sequence

from orders.domain.models import OrderItem, Quote, QuoteLine
from orders.errors import PermanentProcessingError

CURRENCY = "USD"

# unit prices in cents
FALLBACK_CATALOGUE: dict[str, int] = {
    "SKU-001": 1299,
    "SKU-002": 2499,
    "SKU-003": 499,
    "SKU-004": 8999,
    "SKU-005": 1999,
    "SKU-006": 349,
    "SKU-007": 14999,
    "SKU-008": 2999,
    "SKU-009": 799,
    "SKU-010": 4599,
}


def price_locally(order_id: str, items: Sequence[OrderItem]) -> Quote:
    """Price an order from the fallback catalogue; an unknown SKU raises a permanent error."""
    unknown = sorted({item.sku for item in items if item.sku not in FALLBACK_CATALOGUE})
    if unknown:
        raise PermanentProcessingError("unknown_sku", f"unknown SKU(s): {', '.join(unknown)}")
    lines = [
        QuoteLine(
            sku=item.sku,
            quantity=item.quantity,
            unit_price_cents=FALLBACK_CATALOGUE[item.sku],
            line_total_cents=FALLBACK_CATALOGUE[item.sku] * item.quantity,
        )
        for item in items
    ]
    total = sum(line.line_total_cents or 0 for line in lines)
    return Quote(order_id=order_id, currency=CURRENCY, total_cents=total, lines=lines)
