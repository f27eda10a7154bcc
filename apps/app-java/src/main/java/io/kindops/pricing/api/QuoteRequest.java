package io.kindops.pricing.api;

import io.kindops.pricing.domain.LineItem;
import io.kindops.pricing.domain.Sku;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.util.List;

/**
 * {@code POST /api/v1/quotes} body.
 *
 * @param orderId the caller's order identifier, echoed back
 * @param items 1..{@value #MAX_ITEMS} items
 */
public record QuoteRequest(
    @NotBlank @Size(max = 128) String orderId,
    @NotEmpty @Size(max = QuoteRequest.MAX_ITEMS) List<@NotNull @Valid Item> items) {

  /** Upper bound of items in one quote. */
  public static final int MAX_ITEMS = 100;

  List<LineItem> lineItems() {
    return items.stream().map(i -> new LineItem(Sku.of(i.sku()), i.quantity())).toList();
  }

  /**
   * One requested item.
   *
   * @param sku SKU in the format {@value Sku#PATTERN}
   * @param quantity {@value LineItem#MIN_QUANTITY}..{@value LineItem#MAX_QUANTITY}
   */
  public record Item(
      @NotNull @Pattern(regexp = Sku.PATTERN, message = "must match " + Sku.PATTERN) String sku,
      @NotNull @Min(LineItem.MIN_QUANTITY) @Max(LineItem.MAX_QUANTITY) Integer quantity) {}
}
