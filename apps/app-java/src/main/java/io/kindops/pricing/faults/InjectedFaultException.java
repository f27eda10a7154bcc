package io.kindops.pricing.faults;

/** Raised instead of handling a request, when the error-rate flag picks it. */
public class InjectedFaultException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public InjectedFaultException(double errorRate) {
    super("injected fault (error rate " + errorRate + ")");
  }
}
