package io.kindops.pricing.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class CatalogTest {

  @Test
  void looksUpUnitPricesBySku() {
    Catalog catalog =
        Catalog.of(
            "USD", List.of(new Catalog.Entry("SKU-001", 1299L), new Catalog.Entry("SKU-002", 5L)));

    assertThat(catalog.currency().getCurrencyCode()).isEqualTo("USD");
    assertThat(catalog.size()).isEqualTo(2);
    assertThat(catalog.unitPriceCents(Sku.of("SKU-001"))).contains(1299L);
    assertThat(catalog.unitPriceCents(Sku.of("SKU-002"))).contains(5L);
    assertThat(catalog.unitPriceCents(Sku.of("SKU-003"))).isEmpty();
  }

  @Test
  void rejectsAnUnknownCurrency() {
    assertThatThrownBy(() -> Catalog.of("XYZ1", List.of(new Catalog.Entry("SKU-001", 1L))))
        .isInstanceOf(InvalidCatalogException.class)
        .hasMessage("invalid pricing catalog: currency 'XYZ1' is not an ISO 4217 code");
  }

  @Test
  void rejectsAMissingCurrency() {
    assertThatThrownBy(() -> Catalog.of(" ", List.of(new Catalog.Entry("SKU-001", 1L))))
        .hasMessage("invalid pricing catalog: currency is missing");
  }

  @Test
  void rejectsADuplicateSku() {
    assertThatThrownBy(
            () ->
                Catalog.of(
                    "USD",
                    List.of(new Catalog.Entry("SKU-001", 1L), new Catalog.Entry("SKU-001", 2L))))
        .hasMessage("invalid pricing catalog: prices[1].sku SKU-001 is listed twice");
  }

  @Test
  void rejectsABadSku() {
    assertThatThrownBy(() -> Catalog.of("USD", List.of(new Catalog.Entry("ABC", 1L))))
        .hasMessageStartingWith("invalid pricing catalog: prices[0].sku: invalid sku 'ABC'");
  }

  @Test
  void rejectsAMissingSku() {
    assertThatThrownBy(() -> Catalog.of("USD", Arrays.asList((Catalog.Entry) null)))
        .hasMessage("invalid pricing catalog: prices[0].sku is missing");
  }

  @Test
  void rejectsAPriceThatIsNotPositive() {
    assertThatThrownBy(() -> Catalog.of("USD", List.of(new Catalog.Entry("SKU-001", 0L))))
        .hasMessage(
            "invalid pricing catalog: prices[0].unitPriceCents for SKU-001 must be a positive"
                + " integer");
    assertThatThrownBy(() -> Catalog.of("USD", List.of(new Catalog.Entry("SKU-001", null))))
        .isInstanceOf(InvalidCatalogException.class);
  }

  @Test
  void rejectsAnEmptyPriceList() {
    assertThatThrownBy(() -> Catalog.of("USD", List.of()))
        .hasMessage("invalid pricing catalog: prices is empty");
    assertThatThrownBy(() -> Catalog.of("USD", null))
        .hasMessage("invalid pricing catalog: prices are missing");
  }
}
