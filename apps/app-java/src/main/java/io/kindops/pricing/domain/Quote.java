package io.kindops.pricing.domain;

import java.util.List;

/**
 * A priced order.
 *
 * @param orderId the caller's order identifier, echoed back
 * @param currency ISO 4217 code of every amount
 * @param totalCents sum of the line totals
 * @param lines one line per requested item, in request order
 */
public record Quote(String orderId, String currency, long totalCents, List<Line> lines) {

  public Quote {
    lines = List.copyOf(lines);
  }

  /**
   * One priced line.
   *
   * @param sku the SKU
   * @param quantity units requested
   * @param unitPriceCents catalog unit price
   * @param lineTotalCents quantity times unit price
   */
  public record Line(Sku sku, int quantity, long unitPriceCents, long lineTotalCents) {}
}
