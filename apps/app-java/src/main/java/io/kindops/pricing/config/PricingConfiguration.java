package io.kindops.pricing.config;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.kindops.pricing.domain.Catalog;
import io.kindops.pricing.domain.InvalidCatalogException;
import io.kindops.pricing.domain.PricingService;
import io.kindops.pricing.telemetry.PricingTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import java.io.IOException;
import java.io.InputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Builds the catalog and the pricing service. A catalog that cannot be used stops start-up. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(CatalogProperties.class)
public class PricingConfiguration {

  private static final Logger log = LoggerFactory.getLogger(PricingConfiguration.class);

  @Bean
  Catalog catalog(CatalogProperties properties, ObjectMapper objectMapper) {
    Catalog catalog = load(properties, objectMapper);
    log.atInfo()
        .setMessage("pricing catalog loaded")
        .addKeyValue("catalog.location", properties.location().getDescription())
        .addKeyValue("catalog.skus", catalog.size())
        .addKeyValue("catalog.currency", catalog.currency().getCurrencyCode())
        .log();
    return catalog;
  }

  @Bean
  PricingTelemetry pricingTelemetry(OpenTelemetry openTelemetry) {
    return new PricingTelemetry(openTelemetry);
  }

  @Bean
  PricingService pricingService(Catalog catalog, PricingTelemetry telemetry) {
    return new PricingService(catalog, telemetry);
  }

  static Catalog load(CatalogProperties properties, ObjectMapper objectMapper) {
    String where = properties.location().getDescription();
    CatalogFile file;
    try (InputStream in = properties.location().getInputStream()) {
      file = objectMapper.readValue(in, CatalogFile.class);
    } catch (IOException e) {
      throw new InvalidCatalogException("cannot read " + where + ": " + e.getMessage());
    }
    if (file == null) {
      throw new InvalidCatalogException(where + " is empty");
    }
    try {
      return Catalog.of(file.currency(), file.prices());
    } catch (InvalidCatalogException e) {
      throw new InvalidCatalogException(where + ": " + e.problem());
    }
  }
}
