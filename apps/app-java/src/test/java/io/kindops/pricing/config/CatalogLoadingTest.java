package io.kindops.pricing.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.kindops.pricing.domain.Catalog;
import io.kindops.pricing.domain.InvalidCatalogException;
import io.kindops.pricing.domain.Sku;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.core.io.ClassPathResource;
import org.springframework.core.io.FileSystemResource;

class CatalogLoadingTest {

  private final ObjectMapper mapper = new ObjectMapper();

  @Test
  void theShippedCatalogHasFiftySkusInUsd() {
    Catalog catalog =
        PricingConfiguration.load(
            new CatalogProperties(new ClassPathResource("catalog.json")), mapper);

    assertThat(catalog.size()).isEqualTo(50);
    assertThat(catalog.currency().getCurrencyCode()).isEqualTo("USD");
    assertThat(catalog.unitPriceCents(Sku.of("SKU-001"))).contains(1299L);
    assertThat(catalog.unitPriceCents(Sku.of("SKU-050"))).isPresent();
    assertThat(catalog.unitPriceCents(Sku.of("SKU-051"))).isEmpty();
  }

  @Test
  void readsACatalogFromAFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("catalog.json");
    Files.writeString(
        file, "{\"currency\":\"EUR\",\"prices\":[{\"sku\":\"SKU-123\",\"unitPriceCents\":42}]}");

    Catalog catalog =
        PricingConfiguration.load(new CatalogProperties(new FileSystemResource(file)), mapper);

    assertThat(catalog.currency().getCurrencyCode()).isEqualTo("EUR");
    assertThat(catalog.unitPriceCents(Sku.of("SKU-123"))).contains(42L);
  }

  @Test
  void aMissingFileNamesTheLocation(@TempDir Path dir) {
    Path missing = dir.resolve("nope.json");

    assertThatThrownBy(
            () ->
                PricingConfiguration.load(
                    new CatalogProperties(new FileSystemResource(missing)), mapper))
        .isInstanceOf(InvalidCatalogException.class)
        .hasMessageContaining("cannot read")
        .hasMessageContaining("nope.json");
  }

  @Test
  void malformedJsonIsRejected() {
    assertThatThrownBy(() -> load("{\"currency\": \"USD\", \"prices\": ["))
        .isInstanceOf(InvalidCatalogException.class)
        .hasMessageContaining("cannot read");
  }

  @Test
  void anInvalidEntryNamesTheResourceAndTheEntry() {
    assertThatThrownBy(
            () ->
                load(
                    "{\"currency\":\"USD\",\"prices\":[{\"sku\":\"SKU-001\",\"unitPriceCents\":1},"
                        + "{\"sku\":\"SKU-002\",\"unitPriceCents\":-5}]}"))
        .isInstanceOf(InvalidCatalogException.class)
        .hasMessage(
            "invalid pricing catalog: test catalog: prices[1].unitPriceCents for SKU-002 must be"
                + " a positive integer");
  }

  private Catalog load(String json) {
    ByteArrayResource resource =
        new ByteArrayResource(json.getBytes(StandardCharsets.UTF_8), "test catalog") {
          @Override
          public String getDescription() {
            return "test catalog";
          }
        };
    return PricingConfiguration.load(new CatalogProperties(resource), mapper);
  }
}
