package io.kindops.pricing.domain;

import java.util.Objects;

/**
 * A requested quantity of one SKU.
 *
 * @param sku the SKU
 * @param quantity how many units, {@value #MIN_QUANTITY}..{@value #MAX_QUANTITY}
 */
public record LineItem(Sku sku, int quantity) {

  public static final int MIN_QUANTITY = 1;
  public static final int MAX_QUANTITY = 1000;

  public LineItem {
    Objects.requireNonNull(sku, "sku");
    if (quantity < MIN_QUANTITY || quantity > MAX_QUANTITY) {
      throw new IllegalArgumentException(
          "quantity " + quantity + " is outside " + MIN_QUANTITY + ".." + MAX_QUANTITY);
    }
  }
}
