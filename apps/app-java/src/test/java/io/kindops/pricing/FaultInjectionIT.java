package io.kindops.pricing;

import static io.kindops.pricing.TelemetryQueries.awaitTrace;
import static io.kindops.pricing.TelemetryQueries.serverSpan;
import static io.kindops.pricing.TracePropagationIT.randomHex;
import static io.kindops.pricing.TracePropagationIT.traceparent;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kindops.pricing.api.ProblemTypes;
import io.kindops.pricing.faults.FaultSettings;
import io.kindops.pricing.faults.FaultState;
import io.kindops.pricing.telemetry.PricingTelemetry;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.web.server.LocalServerPort;

/** Game-day fault flags, switched through the admin API of the running server. */
@AppIntegrationTest
class FaultInjectionIT {

  private static final String[] ADMIN = {"X-Admin-Token", AppIntegrationTest.ADMIN_TOKEN};

  @LocalServerPort private int port;
  @Autowired private FaultState state;
  @Autowired private InMemorySpanExporter spans;
  @Autowired private InMemoryMetricReader metrics;
  @Autowired private ObjectMapper json;
  private HttpApi http;

  @BeforeEach
  void setUp() {
    http = new HttpApi(port);
  }

  @AfterEach
  void switchFaultsOff() {
    state.update(FaultSettings.NONE, "test cleanup");
  }

  @Test
  void anErrorRateOfOneFailsTheApiButNeverTheProbesOrTheAdminApi() throws Exception {
    assertThat(setFaults(0, 1.0).statusCode()).isEqualTo(200);

    HttpResponse<String> price = http.get("/api/v1/prices/SKU-001");
    assertThat(price.statusCode()).isEqualTo(500);
    assertThat(price.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(json.readTree(price.body()).get("type").asText())
        .isEqualTo(ProblemTypes.INJECTED_FAULT.toString());
    assertThat(
            http.post(
                    "/api/v1/quotes",
                    "{\"orderId\":\"f-1\",\"items\":[{\"sku\":\"SKU-001\",\"quantity\":1}]}")
                .statusCode())
        .isEqualTo(500);

    assertThat(http.get("/actuator/health/liveness").statusCode()).isEqualTo(200);
    assertThat(http.get("/actuator/health/readiness").statusCode()).isEqualTo(200);
    assertThat(http.get("/actuator/health").statusCode()).isEqualTo(200);
    assertThat(http.get("/admin/faults", ADMIN).statusCode()).isEqualTo(200);
  }

  @Test
  void faultsCanBeTurnedOff() {
    setFaults(0, 1.0);
    assertThat(http.get("/api/v1/prices/SKU-001").statusCode()).isEqualTo(500);

    setFaults(0, 0.0);

    assertThat(http.get("/api/v1/prices/SKU-001").statusCode()).isEqualTo(200);
  }

  @Test
  void anInjectedErrorIsVisibleOnTheServerSpanAndInTheMetrics() {
    setFaults(0, 1.0);
    long before = injected("error");
    String traceId = randomHex(16);

    http.get("/api/v1/prices/SKU-020", "traceparent", traceparent(traceId, randomHex(8)));

    SpanData server = serverSpan(awaitTrace(spans, traceId));
    assertThat(
            server
                .getAttributes()
                .get(io.opentelemetry.api.common.AttributeKey.longKey("http.response.status_code")))
        .isEqualTo(500L);
    assertThat(server.getEvents())
        .anySatisfy(
            e -> {
              assertThat(e.getName()).isEqualTo(PricingTelemetry.EVENT_FAULT_INJECTED);
              assertThat(e.getAttributes().get(PricingTelemetry.FAULT_TYPE)).isEqualTo("error");
            });
    assertThat(injected("error")).isEqualTo(before + 1);
  }

  @Test
  void addedLatencyIsAppliedToTheRequestAndRecordedOnItsSpan() {
    setFaults(120, 0.0);
    long before = injected("latency");
    String traceId = randomHex(16);

    HttpResponse<String> response =
        http.get("/api/v1/prices/SKU-021", "traceparent", traceparent(traceId, randomHex(8)));

    assertThat(response.statusCode()).isEqualTo(200);
    SpanData server = serverSpan(awaitTrace(spans, traceId));
    EventData event =
        server.getEvents().stream()
            .filter(e -> e.getName().equals(PricingTelemetry.EVENT_FAULT_INJECTED))
            .findFirst()
            .orElseThrow();
    assertThat(event.getAttributes().get(PricingTelemetry.FAULT_TYPE)).isEqualTo("latency");
    assertThat(event.getAttributes().get(PricingTelemetry.FAULT_LATENCY_MS)).isEqualTo(120L);
    assertThat(injected("latency")).isEqualTo(before + 1);

    setFaults(0, 0.0);
    String cleanTrace = randomHex(16);
    http.get("/api/v1/prices/SKU-021", "traceparent", traceparent(cleanTrace, randomHex(8)));
    assertThat(serverSpan(awaitTrace(spans, cleanTrace)).getEvents())
        .noneSatisfy(e -> assertThat(e.getName()).isEqualTo(PricingTelemetry.EVENT_FAULT_INJECTED));
    assertThat(injected("latency")).isEqualTo(before + 1);
  }

  @Test
  void probesGetNoAddedLatency() {
    setFaults(120, 0.0);
    long before = injected("latency");

    assertThat(http.get("/actuator/health/readiness").statusCode()).isEqualTo(200);
    assertThat(http.get("/admin/faults", ADMIN).statusCode()).isEqualTo(200);

    assertThat(injected("latency")).isEqualTo(before);
  }

  @Test
  void theAdminApiRejectsAMissingOrWrongToken() {
    assertThat(http.get("/admin/faults").statusCode()).isEqualTo(401);
    assertThat(http.get("/admin/faults", "X-Admin-Token", "not-the-token-0000").statusCode())
        .isEqualTo(401);
    assertThat(
            http.put(
                    "/admin/faults",
                    "{\"latencyMs\":0,\"errorRate\":1.0}",
                    "X-Admin-Token",
                    "not-the-token-0000")
                .statusCode())
        .isEqualTo(401);
    assertThat(state.current()).isEqualTo(FaultSettings.NONE);
  }

  @Test
  void everyChangeIsLoggedAsJson(CapturedOutput output) throws Exception {
    setFaults(75, 0.5);

    JsonNode line = null;
    for (String l : output.getOut().split("\n")) {
      if (l.contains("fault settings changed") && l.contains("admin-api")) {
        line = json.readTree(l);
      }
    }
    assertThat(line).as("JSON log line of the change").isNotNull();
    assertThat(line.at("/log/level").asText()).isEqualTo("WARN");
    assertThat(line.at("/fault/latency_ms").asLong()).isEqualTo(75);
    assertThat(line.at("/fault/error_rate").asDouble()).isEqualTo(0.5);
    assertThat(line.at("/fault/changed_by").asText()).startsWith("admin-api 127.0.0.1");
    assertThat(line.get("trace_id").asText()).hasSize(32);
  }

  private HttpResponse<String> setFaults(long latencyMs, double errorRate) {
    HttpResponse<String> response =
        http.put(
            "/admin/faults",
            "{\"latencyMs\":" + latencyMs + ",\"errorRate\":" + errorRate + "}",
            ADMIN);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return response;
  }

  private long injected(String type) {
    return metrics.collectAllMetrics().stream()
        .filter(m -> m.getName().equals(PricingTelemetry.METRIC_FAULTS_INJECTED))
        .flatMap(m -> m.getLongSumData().getPoints().stream())
        .filter(p -> type.equals(p.getAttributes().get(PricingTelemetry.FAULT_TYPE)))
        .mapToLong(LongPointData::getValue)
        .sum();
  }
}
