package io.kindops.pricing.telemetry;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.trace.Tracer;
import java.util.List;
import java.util.Set;

/**
 * Every custom span, attribute and metric of the service, declared once with its unit.
 *
 * <p>HTTP spans and the RED metrics ({@code http.server.request.duration}) come from the
 * OpenTelemetry Spring Boot starter; what is declared here only adds domain detail to them.
 */
public final class PricingTelemetry {

  /**
   * The HTTP server RED metric (histogram, unit s), emitted by the starter's Spring MVC
   * instrumentation with {@code http.route}, {@code http.request.method} and {@code
   * http.response.status_code}.
   */
  public static final String HTTP_SERVER_REQUEST_DURATION = "http.server.request.duration";

  /**
   * The only attribute keys {@link #HTTP_SERVER_REQUEST_DURATION} keeps: the bounded stable HTTP
   * semantic-convention attributes, the same set as app-python's. The instrumentation also offers
   * per-request values ({@code url.path}, {@code client.address}, {@code network.peer.port}, {@code
   * user_agent.original}, {@code server.address}, ...) that would make one series per path, client
   * connection or user agent; the SLO rules and dashboards select on {@code http.route}, {@code
   * http.request.method} and {@code http.response.status_code} only.
   */
  public static final Set<String> HTTP_SERVER_REQUEST_DURATION_ATTRIBUTES =
      Set.of(
          "http.request.method",
          "http.route",
          "http.response.status_code",
          "error.type",
          "url.scheme",
          "network.protocol.version");

  /**
   * Boundaries (seconds) of the latency histograms: the semantic-convention defaults plus 0.2 and
   * 0.3, the edge of the p95 &lt;= 300 ms SLO. The same list as app-python's.
   */
  public static final List<Double> LATENCY_BUCKETS =
      List.of(
          0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.2, 0.25, 0.3, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5,
          10.0);

  /** Instrumentation scope of everything below. */
  public static final String SCOPE = "io.kindops.pricing";

  /** Span around pricing a quote (a domain step inside the HTTP server span). */
  public static final String SPAN_QUOTE = "pricing.quote";

  /** Number of lines in a quote. Unit: {line}. */
  public static final AttributeKey<Long> QUOTE_LINES = AttributeKey.longKey("pricing.quote.lines");

  /** Quote total in minor units of the currency. Unit: cents. */
  public static final AttributeKey<Long> QUOTE_TOTAL_CENTS =
      AttributeKey.longKey("pricing.quote.total_cents");

  /** ISO 4217 currency of the amounts. */
  public static final AttributeKey<String> CURRENCY = AttributeKey.stringKey("pricing.currency");

  /** Span event recorded on the server span when a fault is injected. */
  public static final String EVENT_FAULT_INJECTED = "fault.injected";

  /** Kind of injected fault: {@code latency} or {@code error}. */
  public static final AttributeKey<String> FAULT_TYPE = AttributeKey.stringKey("fault.type");

  /** Injected delay. Unit: ms. */
  public static final AttributeKey<Long> FAULT_LATENCY_MS =
      AttributeKey.longKey("fault.latency_ms");

  /** Counter of injected faults, by {@link #FAULT_TYPE}. Unit: {fault}. */
  public static final String METRIC_FAULTS_INJECTED = "pricing.faults.injected";

  private final Tracer tracer;
  private final LongCounter faultsInjected;

  public PricingTelemetry(OpenTelemetry openTelemetry) {
    this.tracer = openTelemetry.getTracer(SCOPE);
    this.faultsInjected =
        openTelemetry
            .getMeter(SCOPE)
            .counterBuilder(METRIC_FAULTS_INJECTED)
            .setDescription("Faults injected by the game-day fault flags")
            .setUnit("{fault}")
            .build();
  }

  public Tracer tracer() {
    return tracer;
  }

  public LongCounter faultsInjected() {
    return faultsInjected;
  }
}
