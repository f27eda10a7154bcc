package io.kindops.pricing.api;

import io.kindops.pricing.domain.Price;

/**
 * {@code GET /api/v1/prices/{sku}} answer.
 *
 * @param sku the SKU
 * @param unitPriceCents unit price in minor units
 * @param currency ISO 4217 code
 */
public record PriceResponse(String sku, long unitPriceCents, String currency) {

  static PriceResponse of(Price price) {
    return new PriceResponse(price.sku().value(), price.unitPriceCents(), price.currency());
  }
}
