package io.kindops.pricing.faults;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.Objects;
import org.springframework.web.servlet.HandlerInterceptor;

/**
 * Runs the {@link FaultInjector} once a handler is chosen, so the server span already carries its
 * {@code http.route} and an injected error goes through the normal problem+json handling.
 */
public class FaultInterceptor implements HandlerInterceptor {

  private final FaultInjector injector;

  public FaultInterceptor(FaultInjector injector) {
    this.injector = Objects.requireNonNull(injector, "injector");
  }

  @Override
  public boolean preHandle(
      HttpServletRequest request, HttpServletResponse response, Object handler) {
    injector.apply();
    return true;
  }
}
