package io.kindops.pricing.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kindops.pricing.telemetry.PricingTelemetry;
import io.opentelemetry.sdk.testing.junit5.OpenTelemetryExtension;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class PricingServiceTest {

  @RegisterExtension static final OpenTelemetryExtension otel = OpenTelemetryExtension.create();

  private PricingService service;

  @BeforeEach
  void setUp() {
    Catalog catalog =
        Catalog.of(
            "USD",
            List.of(
                new Catalog.Entry("SKU-001", 1299L),
                new Catalog.Entry("SKU-002", 250L),
                new Catalog.Entry("SKU-003", Long.MAX_VALUE / 2)));
    service = new PricingService(catalog, new PricingTelemetry(otel.getOpenTelemetry()));
  }

  @Test
  void pricesAKnownSku() {
    assertThat(service.price(Sku.of("SKU-001")))
        .isEqualTo(new Price(Sku.of("SKU-001"), 1299, "USD"));
  }

  @Test
  void anUnknownSkuHasNoPrice() {
    assertThatThrownBy(() -> service.price(Sku.of("SKU-404")))
        .isInstanceOf(UnknownSkuException.class)
        .hasMessage("unknown sku: SKU-404");
  }

  @Test
  void quotesEveryLineInRequestOrder() {
    Quote quote =
        service.quote(
            "order-7",
            List.of(
                new LineItem(Sku.of("SKU-002"), 3),
                new LineItem(Sku.of("SKU-001"), 2),
                new LineItem(Sku.of("SKU-002"), 1)));

    assertThat(quote.orderId()).isEqualTo("order-7");
    assertThat(quote.currency()).isEqualTo("USD");
    assertThat(quote.lines())
        .containsExactly(
            new Quote.Line(Sku.of("SKU-002"), 3, 250, 750),
            new Quote.Line(Sku.of("SKU-001"), 2, 1299, 2598),
            new Quote.Line(Sku.of("SKU-002"), 1, 250, 250));
    assertThat(quote.totalCents()).isEqualTo(750 + 2598 + 250);
  }

  @Test
  void theContractExampleTotals2598() {
    Quote quote = service.quote("o-1", List.of(new LineItem(Sku.of("SKU-001"), 2)));

    assertThat(quote.totalCents()).isEqualTo(2598);
  }

  @Test
  void namesEveryUnknownSkuOnce() {
    assertThatThrownBy(
            () ->
                service.quote(
                    "o-2",
                    List.of(
                        new LineItem(Sku.of("SKU-999"), 1),
                        new LineItem(Sku.of("SKU-001"), 1),
                        new LineItem(Sku.of("SKU-998"), 1),
                        new LineItem(Sku.of("SKU-999"), 2))))
        .isInstanceOfSatisfying(
            UnknownSkuException.class,
            e -> assertThat(e.skus()).containsExactly(Sku.of("SKU-999"), Sku.of("SKU-998")));
  }

  @Test
  void refusesAnEmptyOrder() {
    assertThatThrownBy(() -> service.quote("o-3", List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aTotalThatOverflowsIsAnErrorNotAWrongNumber() {
    assertThatThrownBy(
            () ->
                service.quote(
                    "o-4",
                    List.of(
                        new LineItem(Sku.of("SKU-003"), 1),
                        new LineItem(Sku.of("SKU-003"), 1),
                        new LineItem(Sku.of("SKU-003"), 1))))
        .isInstanceOf(ArithmeticException.class);
  }

  @Test
  void quantitiesOutsideTheLimitsAreRejected() {
    assertThatThrownBy(() -> new LineItem(Sku.of("SKU-001"), 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new LineItem(Sku.of("SKU-001"), LineItem.MAX_QUANTITY + 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(new LineItem(Sku.of("SKU-001"), LineItem.MAX_QUANTITY).quantity()).isEqualTo(1000);
  }

  @Test
  void recordsADomainSpanWithTheQuoteSummary() {
    service.quote("o-5", List.of(new LineItem(Sku.of("SKU-002"), 4)));

    List<SpanData> spans = otel.getSpans();
    assertThat(spans).hasSize(1);
    SpanData span = spans.get(0);
    assertThat(span.getName()).isEqualTo(PricingTelemetry.SPAN_QUOTE);
    assertThat(span.getAttributes().get(PricingTelemetry.QUOTE_LINES)).isEqualTo(1L);
    assertThat(span.getAttributes().get(PricingTelemetry.QUOTE_TOTAL_CENTS)).isEqualTo(1000L);
    assertThat(span.getAttributes().get(PricingTelemetry.CURRENCY)).isEqualTo("USD");
  }

  @Test
  void recordsTheUnknownSkuOnTheDomainSpan() {
    assertThatThrownBy(() -> service.quote("o-6", List.of(new LineItem(Sku.of("SKU-500"), 1))))
        .isInstanceOf(UnknownSkuException.class);

    SpanData span = otel.getSpans().get(0);
    assertThat(span.getEvents()).anySatisfy(e -> assertThat(e.getName()).isEqualTo("exception"));
  }
}
