package io.kindops.pricing.domain;

import io.kindops.pricing.telemetry.PricingTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Looks up unit prices and prices whole orders against the {@link Catalog}. */
public class PricingService {

  private static final Logger log = LoggerFactory.getLogger(PricingService.class);

  private final Catalog catalog;
  private final PricingTelemetry telemetry;

  public PricingService(Catalog catalog, PricingTelemetry telemetry) {
    this.catalog = Objects.requireNonNull(catalog, "catalog");
    this.telemetry = Objects.requireNonNull(telemetry, "telemetry");
  }

  /**
   * The unit price of one SKU.
   *
   * @throws UnknownSkuException if the SKU is not in the catalog
   */
  public Price price(Sku sku) {
    long cents =
        catalog.unitPriceCents(sku).orElseThrow(() -> new UnknownSkuException(List.of(sku)));
    return new Price(sku, cents, catalog.currency().getCurrencyCode());
  }

  /**
   * Prices every line of an order.
   *
   * @throws UnknownSkuException naming every SKU of the order that is not in the catalog
   * @throws IllegalArgumentException if there are no items
   * @throws ArithmeticException if a total does not fit in a long
   */
  public Quote quote(String orderId, List<LineItem> items) {
    Objects.requireNonNull(orderId, "orderId");
    if (items == null || items.isEmpty()) {
      throw new IllegalArgumentException("a quote needs at least one item");
    }
    Span span = telemetry.tracer().spanBuilder(PricingTelemetry.SPAN_QUOTE).startSpan();
    try (Scope ignored = span.makeCurrent()) {
      List<Sku> unknown = new ArrayList<>();
      List<Quote.Line> lines = new ArrayList<>(items.size());
      long total = 0;
      for (LineItem item : items) {
        var unitPrice = catalog.unitPriceCents(item.sku());
        if (unitPrice.isEmpty()) {
          if (!unknown.contains(item.sku())) {
            unknown.add(item.sku());
          }
          continue;
        }
        long lineTotal = Math.multiplyExact(unitPrice.get(), (long) item.quantity());
        total = Math.addExact(total, lineTotal);
        lines.add(new Quote.Line(item.sku(), item.quantity(), unitPrice.get(), lineTotal));
      }
      if (!unknown.isEmpty()) {
        throw new UnknownSkuException(unknown);
      }
      String currency = catalog.currency().getCurrencyCode();
      span.setAttribute(PricingTelemetry.QUOTE_LINES, (long) lines.size());
      span.setAttribute(PricingTelemetry.QUOTE_TOTAL_CENTS, total);
      span.setAttribute(PricingTelemetry.CURRENCY, currency);
      log.atInfo()
          .setMessage("quote priced")
          .addKeyValue("order.id", orderId)
          .addKeyValue("quote.lines", lines.size())
          .addKeyValue("quote.total_cents", total)
          .log();
      return new Quote(orderId, currency, total, lines);
    } catch (RuntimeException e) {
      span.recordException(e);
      throw e;
    } finally {
      span.end();
    }
  }
}
