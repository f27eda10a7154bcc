package io.kindops.pricing.api;

import io.kindops.pricing.domain.PricingService;
import jakarta.validation.Valid;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** Order quotes. */
@RestController
@RequestMapping("/api/v1/quotes")
public class QuoteController {

  private final PricingService pricing;

  public QuoteController(PricingService pricing) {
    this.pricing = pricing;
  }

  @PostMapping
  public QuoteResponse quote(@Valid @RequestBody QuoteRequest request) {
    return QuoteResponse.of(pricing.quote(request.orderId(), request.lineItems()));
  }
}
