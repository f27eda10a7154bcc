package io.kindops.pricing.domain;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A stock-keeping unit identifier such as {@code SKU-001}.
 *
 * @param value the identifier, always matching {@link #PATTERN}
 */
public record Sku(String value) implements Comparable<Sku> {

  /** The one accepted format, shared with request validation. */
  public static final String PATTERN = "SKU-[0-9]{3}";

  private static final Pattern COMPILED = Pattern.compile(PATTERN);

  public Sku {
    Objects.requireNonNull(value, "sku");
    if (!COMPILED.matcher(value).matches()) {
      throw new IllegalArgumentException("invalid sku '" + value + "': expected format " + PATTERN);
    }
  }

  public static Sku of(String value) {
    return new Sku(value);
  }

  @Override
  public int compareTo(Sku other) {
    return value.compareTo(other.value);
  }

  @Override
  public String toString() {
    return value;
  }
}
