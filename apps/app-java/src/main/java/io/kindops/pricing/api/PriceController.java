package io.kindops.pricing.api;

import io.kindops.pricing.domain.PricingService;
import io.kindops.pricing.domain.Sku;
import jakarta.validation.constraints.Pattern;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** Unit prices. */
@RestController
@RequestMapping("/api/v1/prices")
public class PriceController {

  private final PricingService pricing;

  public PriceController(PricingService pricing) {
    this.pricing = pricing;
  }

  @GetMapping("/{sku}")
  public PriceResponse price(
      @PathVariable @Pattern(regexp = Sku.PATTERN, message = "must match " + Sku.PATTERN)
          String sku) {
    return PriceResponse.of(pricing.price(Sku.of(sku)));
  }
}
