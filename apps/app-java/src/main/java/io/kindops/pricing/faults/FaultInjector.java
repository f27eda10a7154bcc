package io.kindops.pricing.faults;

import io.kindops.pricing.telemetry.PricingTelemetry;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import java.time.Duration;
import java.util.Objects;
import java.util.function.DoubleSupplier;

/**
 * Applies the fault flags to one request: first the added latency, then (maybe) an error. Each
 * injected fault is counted and recorded as an event on the current (server) span.
 */
public class FaultInjector {

  private static final Attributes LATENCY = Attributes.of(PricingTelemetry.FAULT_TYPE, "latency");
  private static final Attributes ERROR = Attributes.of(PricingTelemetry.FAULT_TYPE, "error");

  private final FaultState state;
  private final Sleeper sleeper;
  private final DoubleSupplier random;
  private final PricingTelemetry telemetry;

  /**
   * @param random uniform values in [0, 1); a request fails when the value is below the rate
   */
  public FaultInjector(
      FaultState state, Sleeper sleeper, DoubleSupplier random, PricingTelemetry telemetry) {
    this.state = Objects.requireNonNull(state, "state");
    this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
    this.random = Objects.requireNonNull(random, "random");
    this.telemetry = Objects.requireNonNull(telemetry, "telemetry");
  }

  /**
   * Sleeps for the configured latency, then throws if the error rate picks this request.
   *
   * @throws InjectedFaultException when an error is injected
   */
  public void apply() {
    FaultSettings settings = state.current();
    if (settings.latencyMs() > 0) {
      telemetry.faultsInjected().add(1, LATENCY);
      Span.current()
          .addEvent(
              PricingTelemetry.EVENT_FAULT_INJECTED,
              Attributes.of(
                  PricingTelemetry.FAULT_TYPE,
                  "latency",
                  PricingTelemetry.FAULT_LATENCY_MS,
                  settings.latencyMs()));
      try {
        sleeper.sleep(Duration.ofMillis(settings.latencyMs()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (settings.errorRate() > 0.0 && random.getAsDouble() < settings.errorRate()) {
      telemetry.faultsInjected().add(1, ERROR);
      Span.current().addEvent(PricingTelemetry.EVENT_FAULT_INJECTED, ERROR);
      throw new InjectedFaultException(settings.errorRate());
    }
  }
}
