package io.kindops.pricing.faults;

import static io.opentelemetry.sdk.testing.assertj.OpenTelemetryAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kindops.pricing.telemetry.PricingTelemetry;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.junit5.OpenTelemetryExtension;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class FaultInjectorTest {

  @RegisterExtension static final OpenTelemetryExtension otel = OpenTelemetryExtension.create();

  private final List<Duration> sleeps = new ArrayList<>();
  private final Sleeper recordingSleeper = sleeps::add;
  private PricingTelemetry telemetry;

  @BeforeEach
  void setUp() {
    // After the extension has reset the SDK for this test, so the instruments are live.
    telemetry = new PricingTelemetry(otel.getOpenTelemetry());
  }

  private FaultInjector injector(FaultState state, DoubleSupplier random) {
    return new FaultInjector(state, recordingSleeper, random, telemetry);
  }

  @Test
  void doesNothingWhenNoFaultIsSet() {
    AtomicInteger draws = new AtomicInteger();
    FaultInjector injector =
        injector(new FaultState(FaultSettings.NONE), () -> draws.incrementAndGet() * 0.0);

    injector.apply();

    assertThat(sleeps).isEmpty();
    assertThat(draws).hasValue(0);
    assertThat(otel.getMetrics()).isEmpty();
  }

  @Test
  void addsTheConfiguredLatency() {
    FaultInjector injector = injector(new FaultState(new FaultSettings(250, 0)), () -> 0.0);

    runInSpan(injector);

    assertThat(sleeps).containsExactly(Duration.ofMillis(250));
    SpanData span = otel.getSpans().get(0);
    assertThat(span)
        .hasEventsSatisfyingExactly(
            event ->
                event
                    .hasName(PricingTelemetry.EVENT_FAULT_INJECTED)
                    .hasAttributes(
                        Attributes.of(
                            PricingTelemetry.FAULT_TYPE,
                            "latency",
                            PricingTelemetry.FAULT_LATENCY_MS,
                            250L)));
    assertThat(injectedCount("latency")).isEqualTo(1);
  }

  @Test
  void failsARequestWhenTheDrawIsBelowTheRate() {
    FaultInjector injector = injector(new FaultState(new FaultSettings(0, 0.25)), () -> 0.2499);

    assertThatThrownBy(() -> runInSpan(injector))
        .isInstanceOf(InjectedFaultException.class)
        .hasMessage("injected fault (error rate 0.25)");
    assertThat(otel.getSpans().get(0))
        .hasEventsSatisfyingExactly(
            event ->
                event
                    .hasName(PricingTelemetry.EVENT_FAULT_INJECTED)
                    .hasAttributes(Attributes.of(PricingTelemetry.FAULT_TYPE, "error")));
    assertThat(injectedCount("error")).isEqualTo(1);
    assertThat(sleeps).isEmpty();
  }

  @Test
  void letsARequestThroughWhenTheDrawIsAtOrAboveTheRate() {
    FaultInjector injector = injector(new FaultState(new FaultSettings(0, 0.25)), () -> 0.25);

    injector.apply();

    assertThat(otel.getMetrics()).isEmpty();
  }

  @Test
  void aRateOfOneFailsEveryRequest() {
    FaultInjector injector = injector(new FaultState(new FaultSettings(0, 1.0)), () -> 0.999999);

    for (int i = 0; i < 3; i++) {
      assertThatThrownBy(injector::apply).isInstanceOf(InjectedFaultException.class);
    }
    assertThat(injectedCount("error")).isEqualTo(3);
  }

  @Test
  void theErrorRateIsHonouredOverManyRequests() {
    java.util.Random seeded = new java.util.Random(42);
    FaultInjector injector =
        injector(new FaultState(new FaultSettings(0, 0.3)), seeded::nextDouble);
    int failed = 0;
    for (int i = 0; i < 10_000; i++) {
      try {
        injector.apply();
      } catch (InjectedFaultException e) {
        failed++;
      }
    }
    assertThat(failed).isBetween(2_800, 3_200);
  }

  @Test
  void latencyComesFirstThenTheError() {
    FaultInjector injector = injector(new FaultState(new FaultSettings(40, 1.0)), () -> 0.0);

    assertThatThrownBy(injector::apply).isInstanceOf(InjectedFaultException.class);
    assertThat(sleeps).containsExactly(Duration.ofMillis(40));
  }

  @Test
  void turningFaultsOffTakesEffectOnTheNextRequest() {
    FaultState state = new FaultState(new FaultSettings(10, 1.0));
    FaultInjector injector = injector(state, () -> 0.0);
    assertThatThrownBy(injector::apply).isInstanceOf(InjectedFaultException.class);

    state.update(FaultSettings.NONE, "test");
    injector.apply();

    assertThat(sleeps).containsExactly(Duration.ofMillis(10));
  }

  @Test
  void anInterruptedSleepKeepsTheInterruptFlag() throws Exception {
    FaultInjector injector =
        new FaultInjector(
            new FaultState(new FaultSettings(5, 0)),
            d -> {
              throw new InterruptedException("stop");
            },
            () -> 0.0,
            telemetry);

    injector.apply();

    assertThat(Thread.interrupted()).isTrue();
  }

  private static void runInSpan(FaultInjector injector) {
    Span span = otel.getOpenTelemetry().getTracer("test").spanBuilder("request").startSpan();
    try (Scope ignored = span.makeCurrent()) {
      injector.apply();
    } finally {
      span.end();
    }
  }

  private long injectedCount(String type) {
    MetricData metric =
        otel.getMetrics().stream()
            .filter(m -> m.getName().equals(PricingTelemetry.METRIC_FAULTS_INJECTED))
            .findFirst()
            .orElseThrow();
    assertThat(metric.getUnit()).isEqualTo("{fault}");
    return metric.getLongSumData().getPoints().stream()
        .filter(p -> type.equals(p.getAttributes().get(PricingTelemetry.FAULT_TYPE)))
        .mapToLong(LongPointData::getValue)
        .sum();
  }
}
