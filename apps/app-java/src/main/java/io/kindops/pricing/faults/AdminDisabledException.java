package io.kindops.pricing.faults;

/** The admin API was called while no admin token is configured. */
public class AdminDisabledException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public AdminDisabledException() {
    super("the admin API is disabled (no ADMIN_TOKEN configured)");
  }
}
