package io.kindops.pricing.faults;

/** The admin API was called without the right {@code X-Admin-Token}. */
public class AdminUnauthorizedException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public AdminUnauthorizedException(String message) {
    super(message);
  }
}
