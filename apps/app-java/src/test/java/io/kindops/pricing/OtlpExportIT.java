package io.kindops.pricing;

import static io.kindops.pricing.TracePropagationIT.randomHex;
import static io.kindops.pricing.TracePropagationIT.traceparent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kindops.pricing.telemetry.PricingTelemetry;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The export path as deployed: the standard OTLP settings point the application at a receiver,
 * which gets the caller's trace, the HTTP server metrics and the log records over OTLP/HTTP.
 */
@ExtendWith(OtlpExportIT.StopReceiverLast.class)
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "otel.traces.exporter=otlp",
      "otel.metrics.exporter=otlp",
      "otel.logs.exporter=otlp",
      "otel.exporter.otlp.protocol=http/protobuf",
      "otel.bsp.schedule.delay=100",
      "otel.blrp.schedule.delay=100",
      "otel.metric.export.interval=500",
      "DEPLOYMENT_ENVIRONMENT=otlp-it"
    })
@ActiveProfiles("test")
@DirtiesContext
class OtlpExportIT {

  private static final OtlpReceiver receiver = start();

  @LocalServerPort private int port;

  @DynamicPropertySource
  static void otlpEndpoint(DynamicPropertyRegistry registry) {
    registry.add("otel.exporter.otlp.endpoint", receiver::endpoint);
  }

  /**
   * Stops the receiver after Spring has closed the application: the SDK flushes on shutdown, and an
   * unreachable endpoint would make the exporters retry with back-off. Declared before
   * {@code @SpringBootTest}, so its after-all callback runs after Spring's.
   */
  static final class StopReceiverLast implements AfterAllCallback {
    @Override
    public void afterAll(ExtensionContext context) {
      receiver.close();
    }
  }

  @Test
  void tracesMetricsAndLogsReachTheOtlpEndpoint() {
    String traceId = randomHex(16);
    String parentSpanId = randomHex(8);
    String orderId = "otlp-" + traceId.substring(0, 8);

    int status =
        new HttpApi(port)
            .post(
                "/api/v1/quotes",
                "{\"orderId\":\""
                    + orderId
                    + "\",\"items\":[{\"sku\":\"SKU-002\",\"quantity\":1}]}",
                "traceparent",
                traceparent(traceId, parentSpanId))
            .statusCode();
    assertThat(status).isEqualTo(200);

    Span server =
        await()
            .atMost(Duration.ofSeconds(20))
            .until(() -> serverSpan(traceId), Optional::isPresent)
            .orElseThrow();
    assertThat(hex(server.getParentSpanId().toByteArray())).isEqualTo(parentSpanId);
    assertThat(server.getName()).isEqualTo("POST /api/v1/quotes");
    Resource resource =
        receiver.traces().stream()
            .flatMap(r -> r.getResourceSpansList().stream())
            .filter(
                rs ->
                    rs.getScopeSpansList().stream()
                        .flatMap(ss -> ss.getSpansList().stream())
                        .anyMatch(s -> s.equals(server)))
            .findFirst()
            .orElseThrow()
            .getResource();
    assertThat(attribute(resource.getAttributesList(), "service.name")).isEqualTo("app-java");
    assertThat(attribute(resource.getAttributesList(), "deployment.environment"))
        .isEqualTo("otlp-it");
    assertThat(attribute(resource.getAttributesList(), "service.version")).isNotBlank();

    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                receiver.metrics().stream()
                    .flatMap(r -> r.getResourceMetricsList().stream())
                    .flatMap(rm -> rm.getScopeMetricsList().stream())
                    .flatMap(sm -> sm.getMetricsList().stream())
                    .anyMatch(
                        m ->
                            m.getName().equals("http.server.request.duration")
                                && m.getUnit().equals("s")
                                && m.hasHistogram()
                                && m.getHistogram().getDataPointsList().stream()
                                    .anyMatch(p -> p.getExplicitBoundsList().contains(0.3))));
    // What leaves the process carries only the bounded HTTP attributes (no url.path,
    // client.address, network.peer.port, user_agent.original, ...).
    List<HistogramDataPoint> durationPoints =
        receiver.metrics().stream()
            .flatMap(r -> r.getResourceMetricsList().stream())
            .flatMap(rm -> rm.getScopeMetricsList().stream())
            .flatMap(sm -> sm.getMetricsList().stream())
            .filter(m -> m.getName().equals("http.server.request.duration"))
            .flatMap(m -> m.getHistogram().getDataPointsList().stream())
            .toList();
    assertThat(durationPoints)
        .allSatisfy(
            p ->
                assertThat(p.getAttributesList())
                    .extracting(KeyValue::getKey)
                    .isSubsetOf(PricingTelemetry.HTTP_SERVER_REQUEST_DURATION_ATTRIBUTES))
        .anySatisfy(
            p -> {
              assertThat(attribute(p.getAttributesList(), "http.route"))
                  .isEqualTo("/api/v1/quotes");
              assertThat(
                      p.getAttributesList().stream()
                          .filter(kv -> kv.getKey().equals("http.response.status_code"))
                          .map(kv -> kv.getValue().getIntValue()))
                  .containsExactly(200L);
            });

    LogRecord log =
        await()
            .atMost(Duration.ofSeconds(20))
            .until(() -> logRecord("quote priced", traceId), Optional::isPresent)
            .orElseThrow();
    assertThat(log.getSeverityText()).isEqualTo("INFO");
    assertThat(hex(log.getSpanId().toByteArray())).hasSize(16);
  }

  private static Optional<Span> serverSpan(String traceId) {
    return receiver.traces().stream()
        .flatMap(r -> r.getResourceSpansList().stream())
        .flatMap(rs -> rs.getScopeSpansList().stream())
        .flatMap(ss -> ss.getSpansList().stream())
        .filter(s -> s.getKind() == Span.SpanKind.SPAN_KIND_SERVER)
        .filter(s -> hex(s.getTraceId().toByteArray()).equals(traceId))
        .findFirst();
  }

  private static Optional<LogRecord> logRecord(String body, String traceId) {
    return receiver.logs().stream()
        .flatMap(r -> r.getResourceLogsList().stream())
        .flatMap(rl -> rl.getScopeLogsList().stream())
        .flatMap(sl -> sl.getLogRecordsList().stream())
        .filter(l -> l.getBody().getStringValue().equals(body))
        .filter(l -> hex(l.getTraceId().toByteArray()).equals(traceId))
        .findFirst();
  }

  private static String attribute(List<KeyValue> attributes, String key) {
    return attributes.stream()
        .filter(kv -> kv.getKey().equals(key))
        .map(kv -> kv.getValue().getStringValue())
        .findFirst()
        .orElse(null);
  }

  private static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }

  private static OtlpReceiver start() {
    try {
      return new OtlpReceiver();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start the OTLP receiver", e);
    }
  }
}
