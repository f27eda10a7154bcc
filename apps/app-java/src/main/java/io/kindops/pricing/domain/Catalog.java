package io.kindops.pricing.domain;

import java.util.Collections;
import java.util.Currency;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/** The immutable price list: one currency, one unit price (in minor units) per SKU. */
public final class Catalog {

  private final Currency currency;
  private final Map<Sku, Long> unitPrices;

  private Catalog(Currency currency, Map<Sku, Long> unitPrices) {
    this.currency = currency;
    this.unitPrices = Collections.unmodifiableMap(unitPrices);
  }

  /**
   * Builds a catalog, rejecting anything an operator could get wrong in the catalog file.
   *
   * @param currencyCode ISO 4217 code, e.g. {@code USD}
   * @param entries SKU and unit price in cents, in file order
   * @throws InvalidCatalogException naming the first problem found
   */
  public static Catalog of(String currencyCode, Iterable<Entry> entries) {
    if (currencyCode == null || currencyCode.isBlank()) {
      throw new InvalidCatalogException("currency is missing");
    }
    Currency currency;
    try {
      currency = Currency.getInstance(currencyCode);
    } catch (IllegalArgumentException e) {
      throw new InvalidCatalogException("currency '" + currencyCode + "' is not an ISO 4217 code");
    }
    if (entries == null) {
      throw new InvalidCatalogException("prices are missing");
    }
    Map<Sku, Long> prices = new LinkedHashMap<>();
    int index = 0;
    for (Entry entry : entries) {
      String where = "prices[" + index + "]";
      if (entry == null || entry.sku() == null) {
        throw new InvalidCatalogException(where + ".sku is missing");
      }
      Sku sku;
      try {
        sku = Sku.of(entry.sku());
      } catch (IllegalArgumentException e) {
        throw new InvalidCatalogException(where + ".sku: " + e.getMessage());
      }
      if (entry.unitPriceCents() == null || entry.unitPriceCents() <= 0) {
        throw new InvalidCatalogException(
            where + ".unitPriceCents for " + sku + " must be a positive integer");
      }
      if (prices.putIfAbsent(sku, entry.unitPriceCents()) != null) {
        throw new InvalidCatalogException(where + ".sku " + sku + " is listed twice");
      }
      index++;
    }
    if (prices.isEmpty()) {
      throw new InvalidCatalogException("prices is empty");
    }
    return new Catalog(currency, prices);
  }

  public Currency currency() {
    return currency;
  }

  public Optional<Long> unitPriceCents(Sku sku) {
    return Optional.ofNullable(unitPrices.get(Objects.requireNonNull(sku, "sku")));
  }

  public int size() {
    return unitPrices.size();
  }

  /**
   * One line of the catalog file.
   *
   * @param sku the SKU as written in the file
   * @param unitPriceCents the unit price in minor units of the catalog currency
   */
  public record Entry(String sku, Long unitPriceCents) {}
}
