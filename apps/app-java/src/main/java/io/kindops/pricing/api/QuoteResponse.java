package io.kindops.pricing.api;

import io.kindops.pricing.domain.Quote;
import java.util.List;

/**
 * {@code POST /api/v1/quotes} answer.
 *
 * @param orderId echoed from the request
 * @param currency ISO 4217 code of every amount
 * @param totalCents sum of the line totals
 * @param lines one per requested item, in request order
 */
public record QuoteResponse(String orderId, String currency, long totalCents, List<Line> lines) {

  static QuoteResponse of(Quote quote) {
    return new QuoteResponse(
        quote.orderId(),
        quote.currency(),
        quote.totalCents(),
        quote.lines().stream()
            .map(
                l ->
                    new Line(l.sku().value(), l.quantity(), l.unitPriceCents(), l.lineTotalCents()))
            .toList());
  }

  /**
   * One priced line.
   *
   * @param sku the SKU
   * @param quantity units requested
   * @param unitPriceCents catalog unit price
   * @param lineTotalCents quantity times unit price
   */
  public record Line(String sku, int quantity, long unitPriceCents, long lineTotalCents) {}
}
