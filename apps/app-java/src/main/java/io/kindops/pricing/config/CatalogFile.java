package io.kindops.pricing.config;

import io.kindops.pricing.domain.Catalog;
import java.util.List;

/**
 * The JSON layout of the catalog file.
 *
 * <pre>{"currency": "USD", "prices": [{"sku": "SKU-001", "unitPriceCents": 1299}]}</pre>
 *
 * @param currency ISO 4217 code of every price
 * @param prices one entry per SKU
 */
record CatalogFile(String currency, List<Catalog.Entry> prices) {}
