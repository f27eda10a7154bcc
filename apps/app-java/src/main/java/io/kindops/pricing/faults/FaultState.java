package io.kindops.pricing.faults;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The fault flags in force, shared by every request thread. Every change is logged. */
public class FaultState {

  private static final Logger log = LoggerFactory.getLogger(FaultState.class);

  private final AtomicReference<FaultSettings> current;

  public FaultState(FaultSettings initial) {
    this.current = new AtomicReference<>(Objects.requireNonNull(initial, "initial"));
    if (initial.active()) {
      log.atWarn()
          .setMessage("fault injection active at start-up")
          .addKeyValue("fault.latency_ms", initial.latencyMs())
          .addKeyValue("fault.error_rate", initial.errorRate())
          .addKeyValue("fault.changed_by", "configuration")
          .log();
    }
  }

  public FaultSettings current() {
    return current.get();
  }

  /**
   * Replaces the flags and logs the change.
   *
   * @param next the new flags
   * @param changedBy who asked, for the audit line (e.g. {@code admin-api 10.0.0.7})
   * @return the flags in force before
   */
  public FaultSettings update(FaultSettings next, String changedBy) {
    Objects.requireNonNull(next, "next");
    FaultSettings previous = current.getAndSet(next);
    log.atWarn()
        .setMessage("fault settings changed")
        .addKeyValue("fault.latency_ms", next.latencyMs())
        .addKeyValue("fault.error_rate", next.errorRate())
        .addKeyValue("fault.previous_latency_ms", previous.latencyMs())
        .addKeyValue("fault.previous_error_rate", previous.errorRate())
        .addKeyValue("fault.changed_by", changedBy)
        .log();
    return previous;
  }
}
