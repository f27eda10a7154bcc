package io.kindops.pricing.faults;

import java.time.Duration;

/** Blocks the calling thread; a seam so tests can observe injected latency without waiting. */
@FunctionalInterface
public interface Sleeper {

  Sleeper THREAD = duration -> Thread.sleep(duration.toMillis());

  void sleep(Duration duration) throws InterruptedException;
}
