package io.kindops.pricing.api;

import java.net.URI;

/** The {@code type} URIs of the problem+json bodies (RFC 7807 / RFC 9457) this API returns. */
public final class ProblemTypes {

  /** The request body or a path/query parameter is invalid; {@code errors} names the fields. */
  public static final URI VALIDATION = URI.create("urn:kindops:pricing:problem:validation");

  /** A SKU is not in the catalog; {@code skus} lists them. */
  public static final URI UNKNOWN_SKU = URI.create("urn:kindops:pricing:problem:unknown-sku");

  /** The error-rate fault flag failed this request on purpose. */
  public static final URI INJECTED_FAULT = URI.create("urn:kindops:pricing:problem:injected-fault");

  /** The admin token is missing or wrong. */
  public static final URI ADMIN_UNAUTHORIZED =
      URI.create("urn:kindops:pricing:problem:admin-unauthorized");

  private ProblemTypes() {}
}
