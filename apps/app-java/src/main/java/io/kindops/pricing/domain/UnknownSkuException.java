package io.kindops.pricing.domain;

import java.util.List;
import java.util.stream.Collectors;

/** One or more SKUs are not in the catalog. */
public class UnknownSkuException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final transient List<Sku> skus;

  public UnknownSkuException(List<Sku> skus) {
    super("unknown sku: " + skus.stream().map(Sku::value).collect(Collectors.joining(", ")));
    this.skus = List.copyOf(skus);
  }

  public List<Sku> skus() {
    return skus;
  }
}
