package io.kindops.pricing.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class SkuTest {

  @ParameterizedTest
  @ValueSource(strings = {"SKU-001", "SKU-050", "SKU-999", "SKU-000"})
  void acceptsTheDocumentedFormat(String value) {
    assertThat(Sku.of(value).value()).isEqualTo(value);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "sku-001", "SKU-1", "SKU-0001", "SKU001", " SKU-001", "SKU-00A"})
  void rejectsAnythingElse(String value) {
    assertThatThrownBy(() -> Sku.of(value))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("invalid sku '" + value + "'");
  }

  @ParameterizedTest
  @NullSource
  void rejectsNull(String value) {
    assertThatThrownBy(() -> Sku.of(value)).isInstanceOf(NullPointerException.class);
  }
}
