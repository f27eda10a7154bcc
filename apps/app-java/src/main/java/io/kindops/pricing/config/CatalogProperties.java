package io.kindops.pricing.config;

import jakarta.validation.constraints.NotNull;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.core.io.Resource;
import org.springframework.validation.annotation.Validated;

/**
 * Where the price list comes from.
 *
 * @param location a Spring resource ({@code classpath:catalog.json}, {@code file:/etc/...}); env
 *     {@code PRICING_CATALOG_LOCATION}
 */
@Validated
@ConfigurationProperties("pricing.catalog")
public record CatalogProperties(@NotNull Resource location) {}
