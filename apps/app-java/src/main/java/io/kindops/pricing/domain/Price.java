package io.kindops.pricing.domain;

/**
 * The unit price of one SKU.
 *
 * @param sku the SKU
 * @param unitPriceCents unit price in minor units of {@code currency}
 * @param currency ISO 4217 code
 */
public record Price(Sku sku, long unitPriceCents, String currency) {}
