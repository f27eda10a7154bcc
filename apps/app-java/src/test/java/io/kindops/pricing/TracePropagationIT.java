package io.kindops.pricing;

import static io.kindops.pricing.TelemetryQueries.awaitTrace;
import static io.kindops.pricing.TelemetryQueries.serverSpan;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kindops.pricing.telemetry.PricingTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.info.BuildProperties;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * What a caller such as app-python relies on: a request carrying a W3C {@code traceparent}
 * continues that trace, the RED metrics carry the route, and the JSON log lines carry the ids.
 */
@AppIntegrationTest
class TracePropagationIT {

  private static final AttributeKey<String> HTTP_ROUTE = AttributeKey.stringKey("http.route");
  private static final AttributeKey<String> HTTP_METHOD =
      AttributeKey.stringKey("http.request.method");
  private static final AttributeKey<String> URL_PATH = AttributeKey.stringKey("url.path");
  private static final AttributeKey<Long> HTTP_STATUS =
      AttributeKey.longKey("http.response.status_code");

  @LocalServerPort private int port;
  @Autowired private InMemorySpanExporter spans;
  @Autowired private InMemoryMetricReader metrics;
  @Autowired private BuildProperties build;
  @Autowired private ObjectMapper json;
  private HttpApi http;

  @BeforeEach
  void setUp() {
    http = new HttpApi(port);
  }

  @Test
  void aRequestWithTraceparentContinuesTheCallersTrace() {
    String traceId = randomHex(16);
    String parentSpanId = randomHex(8);

    HttpResponse<String> response =
        http.get("/api/v1/prices/SKU-002", "traceparent", traceparent(traceId, parentSpanId));

    assertThat(response.statusCode()).isEqualTo(200);
    SpanData server = serverSpan(awaitTrace(spans, traceId));
    assertThat(server.getTraceId()).isEqualTo(traceId);
    assertThat(server.getParentSpanId()).isEqualTo(parentSpanId);
    assertThat(server.getParentSpanContext().isRemote()).isTrue();
    assertThat(server.getName()).isEqualTo("GET /api/v1/prices/{sku}");
    assertThat(server.getAttributes().get(HTTP_ROUTE)).isEqualTo("/api/v1/prices/{sku}");
    assertThat(server.getAttributes().get(HTTP_METHOD)).isEqualTo("GET");
    assertThat(server.getAttributes().get(HTTP_STATUS)).isEqualTo(200L);
  }

  @Test
  void aRequestWithoutTraceparentStartsANewTrace() {
    // SKU-003 is requested by this test only, so url.path singles out its server span.
    http.get("/api/v1/prices/SKU-003");

    SpanData server =
        await()
            .atMost(Duration.ofSeconds(15))
            .until(
                () ->
                    spans.getFinishedSpanItems().stream()
                        .filter(s -> s.getKind() == SpanKind.SERVER)
                        .filter(
                            s -> "/api/v1/prices/SKU-003".equals(s.getAttributes().get(URL_PATH)))
                        .findFirst(),
                Optional::isPresent)
            .orElseThrow();
    assertThat(server.getParentSpanContext().isValid()).isFalse();
    assertThat(server.getTraceId()).hasSize(32).isNotEqualTo("0".repeat(32));
  }

  @Test
  void spansCarryTheServiceResource() {
    String traceId = randomHex(16);
    http.get("/api/v1/prices/SKU-004", "traceparent", traceparent(traceId, randomHex(8)));

    SpanData server = serverSpan(awaitTrace(spans, traceId));
    var resource = server.getResource().getAttributes();
    assertThat(resource.get(AttributeKey.stringKey("service.name"))).isEqualTo("app-java");
    assertThat(resource.get(AttributeKey.stringKey("service.version")))
        .isEqualTo(build.getVersion())
        .isNotBlank();
    assertThat(resource.get(AttributeKey.stringKey("deployment.environment")))
        .isEqualTo(AppIntegrationTest.ENVIRONMENT);
    assertThat(resource.get(AttributeKey.stringKey("deployment.environment.name")))
        .isEqualTo(AppIntegrationTest.ENVIRONMENT);
  }

  @Test
  void aQuoteHasADomainSpanUnderTheServerSpanAndJsonLogsCarryItsIds(CapturedOutput output)
      throws IOException {
    String traceId = randomHex(16);
    String parentSpanId = randomHex(8);
    String orderId = "trace-" + traceId.substring(0, 8);

    HttpResponse<String> response =
        http.post(
            "/api/v1/quotes",
            "{\"orderId\":\"" + orderId + "\",\"items\":[{\"sku\":\"SKU-001\",\"quantity\":3}]}",
            "traceparent",
            traceparent(traceId, parentSpanId));

    assertThat(response.statusCode()).isEqualTo(200);
    List<SpanData> trace = awaitTrace(spans, traceId);
    SpanData server = serverSpan(trace);
    assertThat(server.getParentSpanId()).isEqualTo(parentSpanId);
    assertThat(server.getName()).isEqualTo("POST /api/v1/quotes");
    SpanData quote =
        trace.stream()
            .filter(s -> s.getName().equals(PricingTelemetry.SPAN_QUOTE))
            .findFirst()
            .orElseThrow();
    assertThat(quote.getParentSpanId()).isEqualTo(server.getSpanId());
    assertThat(quote.getAttributes().get(PricingTelemetry.QUOTE_TOTAL_CENTS)).isEqualTo(3897L);

    JsonNode line = jsonLogLine(output, "quote priced", orderId);
    assertThat(line.get("trace_id").asText()).isEqualTo(traceId);
    assertThat(line.get("span_id").asText()).isEqualTo(quote.getSpanId());
    assertThat(line.at("/log/level").asText()).isEqualTo("INFO");
    assertThat(line.at("/service/name").asText()).isEqualTo("app-java");
    assertThat(line.at("/service/environment").asText()).isEqualTo(AppIntegrationTest.ENVIRONMENT);
    assertThat(line.at("/quote/total_cents").asLong()).isEqualTo(3897L);
    assertThat(line.has("@timestamp")).isTrue();
  }

  @Test
  void everyStdoutLineIsJson(CapturedOutput output) throws IOException {
    http.post(
        "/api/v1/quotes",
        "{\"orderId\":\"json-lines\",\"items\":[{\"sku\":\"SKU-005\",\"quantity\":1}]}");
    await().atMost(Duration.ofSeconds(15)).until(() -> output.getOut().contains("json-lines"));

    List<String> lines = output.getOut().lines().filter(l -> !l.isBlank()).toList();
    assertThat(lines).isNotEmpty();
    for (String line : lines) {
      JsonNode node = json.readTree(line);
      assertThat(node.isObject()).as(line).isTrue();
      assertThat(node.has("@timestamp") && node.has("message")).as(line).isTrue();
    }
  }

  @Test
  void httpServerRequestDurationIsASecondsHistogramWithRouteMethodAndStatus() {
    String traceId = randomHex(16);
    http.get("/api/v1/prices/SKU-010", "traceparent", traceparent(traceId, randomHex(8)));
    http.get("/api/v1/prices/SKU-404");
    awaitTrace(spans, traceId);

    MetricData duration =
        metrics.collectAllMetrics().stream()
            .filter(m -> m.getName().equals("http.server.request.duration"))
            .findFirst()
            .orElseThrow();
    assertThat(duration.getUnit()).isEqualTo("s");
    // The latency SLO reads the le="0.3" bucket.
    assertThat(duration.getHistogramData().getPoints())
        .allSatisfy(p -> assertThat(p.getBoundaries()).isEqualTo(PricingTelemetry.LATENCY_BUCKETS));
    List<HistogramPointData> points = new ArrayList<>(duration.getHistogramData().getPoints());
    assertThat(points)
        .anySatisfy(
            p -> {
              assertThat(p.getAttributes().get(HTTP_ROUTE)).isEqualTo("/api/v1/prices/{sku}");
              assertThat(p.getAttributes().get(HTTP_METHOD)).isEqualTo("GET");
              assertThat(p.getAttributes().get(HTTP_STATUS)).isEqualTo(200L);
              assertThat(p.getCount()).isPositive();
            })
        .anySatisfy(
            p -> {
              assertThat(p.getAttributes().get(HTTP_ROUTE)).isEqualTo("/api/v1/prices/{sku}");
              assertThat(p.getAttributes().get(HTTP_STATUS)).isEqualTo(404L);
            });
  }

  private JsonNode jsonLogLine(CapturedOutput output, String message, String orderId)
      throws IOException {
    for (String line : output.getOut().split("\n")) {
      if (line.contains("\"" + message + "\"") && line.contains(orderId)) {
        JsonNode node = json.readTree(line);
        if (message.equals(node.get("message").asText())
            && orderId.equals(node.at("/order/id").asText())) {
          return node;
        }
      }
    }
    throw new AssertionError("no JSON log line '" + message + "' for " + orderId);
  }

  static String traceparent(String traceId, String spanId) {
    return "00-" + traceId + "-" + spanId + "-01";
  }

  static String randomHex(int bytes) {
    byte[] b = new byte[bytes];
    ThreadLocalRandom.current().nextBytes(b);
    b[0] |= 1; // never all zeros (invalid id)
    String hex = HexFormat.of().formatHex(b);
    assertThat(bytes == 8 ? SpanId.isValid(hex) : hex.length() == 32).isTrue();
    return hex;
  }
}
