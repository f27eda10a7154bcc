package io.kindops.pricing.domain;

/** The catalog cannot be used; the message names the offending entry. */
public class InvalidCatalogException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final String problem;

  public InvalidCatalogException(String problem) {
    super("invalid pricing catalog: " + problem);
    this.problem = problem;
  }

  /** The problem alone, without the "invalid pricing catalog" prefix. */
  public String problem() {
    return problem;
  }
}
