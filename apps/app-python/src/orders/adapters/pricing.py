"""Pricing: app-java's quote API over HTTP, or the local fallback catalogue.

``POST {PRICING_URL}/api/v1/quotes`` with ``{"orderId", "items": [{"sku", "quantity"}]}`` answers
``{"orderId", "currency", "totalCents", "lines": [...]}``. A 404 (unknown SKU) or another 4xx is
permanent; 5xx, timeouts and refused connections are retried here with bounded exponential
backoff, then reported as transient so that the message is redelivered later. Every call is
bounded by PRICING_TIMEOUT_SECONDS; nothing waits forever.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

import httpx
from pydantic import ValidationError

from orders.domain.models import OrderItem, PricingSource, Quote
from orders.domain.pricing import price_locally
from orders.errors import PermanentProcessingError, TransientProcessingError

log = logging.getLogger(__name__)

QUOTES_PATH = "/api/v1/quotes"


class Pricer(Protocol):
    source: PricingSource

    def quote(self, order_id: str, items: Sequence[OrderItem]) -> Quote: ...

    def close(self) -> None: ...


class FallbackPricer:
    """Prices from the local catalogue (PRICING_URL empty)."""

    source = PricingSource.FALLBACK

    def quote(self, order_id: str, items: Sequence[OrderItem]) -> Quote:
        return price_locally(order_id, items)

    def close(self) -> None:
        return None


def backoff_delay(attempt: int, base: float, cap: float, rng: Callable[[], float]) -> float:
    """Delay before retry number ``attempt`` (1-based): equal-jitter exponential, capped."""
    ceiling = min(cap, base * 2.0 ** (attempt - 1))
    return ceiling / 2 + rng() * ceiling / 2


class PricingClient:
    """app-java's quote API with timeouts and bounded retries."""

    source = PricingSource.APP_JAVA

    def __init__(
        self,
        base_url: str,
        timeout_seconds: float,
        max_attempts: int,
        backoff_seconds: float,
        backoff_max_seconds: float,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.backoff_max_seconds = backoff_max_seconds
        self._sleep = sleep
        self._rng = random.random
        self._client = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout_seconds),
            headers={"accept": "application/json"},
            transport=transport,
        )

    def close(self) -> None:
        self._client.close()

    def quote(self, order_id: str, items: Sequence[OrderItem]) -> Quote:
        body = {
            "orderId": order_id,
            "items": [{"sku": item.sku, "quantity": item.quantity} for item in items],
        }
        last: TransientProcessingError | None = None
        for attempt in range(1, self.max_attempts + 1):
            if attempt > 1:
                self._sleep(
                    backoff_delay(
                        attempt - 1, self.backoff_seconds, self.backoff_max_seconds, self._rng
                    )
                )
            try:
                return self._attempt(order_id, body)
            except TransientProcessingError as exc:
                last = exc
                log.warning(
                    "pricing attempt failed",
                    extra={
                        "attempt": attempt,
                        "max_attempts": self.max_attempts,
                        "error_type": exc.error_type,
                        "reason": str(exc),
                        "pricing_url": self.base_url,
                    },
                )
        if last is None:  # unreachable: max_attempts >= 1
            raise TransientProcessingError("pricing_unavailable", "no pricing attempt made")
        raise last

    def _attempt(self, order_id: str, body: Mapping[str, object]) -> Quote:
        try:
            response = self._client.post(QUOTES_PATH, json=body)
        except httpx.TimeoutException as exc:
            raise TransientProcessingError(
                "pricing_timeout", f"pricing timed out at {self.base_url}: {type(exc).__name__}"
            ) from exc
        except httpx.TransportError as exc:
            raise TransientProcessingError(
                "pricing_unavailable", f"pricing unreachable at {self.base_url}: {exc}"
            ) from exc
        if response.status_code == 404:
            raise PermanentProcessingError(
                "unknown_sku", f"pricing rejected the order: {_detail(response)}"
            )
        if 400 <= response.status_code < 500 and response.status_code not in {408, 429}:
            raise PermanentProcessingError(
                "pricing_rejected",
                f"pricing answered {response.status_code}: {_detail(response)}",
            )
        if response.status_code >= 400:
            raise TransientProcessingError(
                "pricing_unavailable", f"pricing answered {response.status_code}"
            )
        try:
            quote = Quote.model_validate_json(response.content)
        except ValidationError as exc:
            raise TransientProcessingError(
                "pricing_bad_response",
                f"pricing answered an invalid quote: {exc.error_count()} error(s)",
            ) from exc
        if quote.order_id != order_id:
            raise TransientProcessingError(
                "pricing_bad_response", f"pricing quoted order {quote.order_id}, not {order_id}"
            )
        return quote


def _detail(response: httpx.Response) -> str:
    text = response.text.strip().replace("\n", " ")
    return text[:300] or f"HTTP {response.status_code}"


def build_pricer(
    pricing_url: str,
    timeout_seconds: float,
    max_attempts: int,
    backoff_seconds: float,
    backoff_max_seconds: float,
) -> Pricer:
    if not pricing_url:
        return FallbackPricer()
    return PricingClient(
        pricing_url, timeout_seconds, max_attempts, backoff_seconds, backoff_max_seconds
    )
