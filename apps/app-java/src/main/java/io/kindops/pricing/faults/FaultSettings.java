package io.kindops.pricing.faults;

/**
 * The game-day fault flags in force.
 *
 * @param latencyMs delay added before every {@code /api/**} request is handled, 0..{@value
 *     #MAX_LATENCY_MS}
 * @param errorRate share of {@code /api/**} requests answered with an injected HTTP 500, 0..1
 */
public record FaultSettings(long latencyMs, double errorRate) {

  /** Upper bound of the added latency: longer than any sane client timeout. */
  public static final long MAX_LATENCY_MS = 30_000;

  /** No fault injected. */
  public static final FaultSettings NONE = new FaultSettings(0, 0.0);

  public FaultSettings {
    if (latencyMs < 0 || latencyMs > MAX_LATENCY_MS) {
      throw new IllegalArgumentException(
          "latencyMs " + latencyMs + " is outside 0.." + MAX_LATENCY_MS);
    }
    if (Double.isNaN(errorRate) || errorRate < 0.0 || errorRate > 1.0) {
      throw new IllegalArgumentException("errorRate " + errorRate + " is outside 0..1");
    }
  }

  /** Whether any fault is switched on. */
  public boolean active() {
    return latencyMs > 0 || errorRate > 0.0;
  }
}
