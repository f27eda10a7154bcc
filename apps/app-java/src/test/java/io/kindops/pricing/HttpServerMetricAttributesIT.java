package io.kindops.pricing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kindops.pricing.faults.FaultSettings;
import io.kindops.pricing.faults.FaultState;
import io.kindops.pricing.telemetry.PricingTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * {@code http.server.request.duration} keeps only the bounded semantic-convention attributes: one
 * series per route, method and status, whatever the path, client connection or user agent.
 */
@AppIntegrationTest
class HttpServerMetricAttributesIT {

  private static final String ROUTE = "/api/v1/prices/{sku}";
  private static final AttributeKey<String> HTTP_ROUTE = AttributeKey.stringKey("http.route");
  private static final AttributeKey<String> HTTP_METHOD =
      AttributeKey.stringKey("http.request.method");
  private static final AttributeKey<Long> HTTP_STATUS =
      AttributeKey.longKey("http.response.status_code");
  private static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
  private static final AttributeKey<String> URL_SCHEME = AttributeKey.stringKey("url.scheme");

  @LocalServerPort private int port;
  @Autowired private InMemoryMetricReader metrics;
  @Autowired private FaultState faults;

  @BeforeEach
  void noFaults() {
    faults.update(FaultSettings.NONE, "test setup");
  }

  @AfterEach
  void switchFaultsOff() {
    faults.update(FaultSettings.NONE, "test cleanup");
  }

  @Test
  void requestsOnOneRouteFromManyClientsShareOneSeries() {
    Attributes ok200 = routeAttributes(200);
    long before = count(ok200);

    // Different paths, user agents and client connections (hence client ports).
    List<String> skus = List.of("SKU-021", "SKU-022", "SKU-023", "SKU-024");
    for (int i = 0; i < skus.size(); i++) {
      HttpResponse<String> response =
          new HttpApi(port).get("/api/v1/prices/" + skus.get(i), "User-Agent", "client-" + i);
      assertThat(response.statusCode()).isEqualTo(200);
    }

    await().atMost(Duration.ofSeconds(15)).until(() -> count(ok200) - before == skus.size());
    List<HistogramPointData> points = points();
    assertThat(points)
        .filteredOn(p -> ROUTE.equals(p.getAttributes().get(HTTP_ROUTE)))
        .filteredOn(p -> Long.valueOf(200).equals(p.getAttributes().get(HTTP_STATUS)))
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.getAttributes().get(HTTP_METHOD)).isEqualTo("GET");
              assertThat(p.getAttributes().get(URL_SCHEME)).isEqualTo("http");
              assertThat(p.getAttributes().get(ERROR_TYPE)).isNull();
            });
    assertOnlyAllowedKeys(points);
    assertThat(attributeValues(points))
        .noneMatch(v -> v.contains("SKU-02"))
        .noneMatch(v -> v.startsWith("client-"))
        .doesNotContain("127.0.0.1");
  }

  @Test
  void statusCodeAndErrorTypeStayWhileUnmatchedPathsLeaveNoTrace() {
    HttpResponse<String> notFound = new HttpApi(port).get("/api/v1/prices/SKU-999");
    assertThat(notFound.statusCode()).isEqualTo(404);
    HttpResponse<String> noRoute = new HttpApi(port).get("/no-such-path/8f3c2a");
    assertThat(noRoute.statusCode()).isEqualTo(404);
    faults.update(new FaultSettings(0, 1.0), "metric attributes test");
    HttpResponse<String> failed = new HttpApi(port).get("/api/v1/prices/SKU-025");
    assertThat(failed.statusCode()).isEqualTo(500);

    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> count(routeAttributes(404)) > 0 && count(routeAttributes(500)) > 0);
    List<HistogramPointData> points = points();
    assertThat(points)
        .anySatisfy(
            p -> {
              assertThat(p.getAttributes().get(HTTP_ROUTE)).isEqualTo(ROUTE);
              assertThat(p.getAttributes().get(HTTP_STATUS)).isEqualTo(500L);
              assertThat(p.getAttributes().get(ERROR_TYPE)).isEqualTo("500");
            })
        .anySatisfy(
            p -> {
              assertThat(p.getAttributes().get(HTTP_ROUTE)).isEqualTo(ROUTE);
              assertThat(p.getAttributes().get(HTTP_STATUS)).isEqualTo(404L);
            });
    assertOnlyAllowedKeys(points);
    assertThat(attributeValues(points))
        .noneMatch(v -> v.contains("8f3c2a"))
        .noneMatch(v -> v.contains("SKU-999") || v.contains("SKU-025"));
  }

  private static void assertOnlyAllowedKeys(List<HistogramPointData> points) {
    assertThat(points).isNotEmpty();
    assertThat(points)
        .allSatisfy(
            p ->
                assertThat(p.getAttributes().asMap().keySet())
                    .extracting(AttributeKey::getKey)
                    .as("attribute keys of %s", p.getAttributes())
                    .isSubsetOf(PricingTelemetry.HTTP_SERVER_REQUEST_DURATION_ATTRIBUTES)
                    .contains("http.request.method", "http.response.status_code"));
  }

  private static List<String> attributeValues(List<HistogramPointData> points) {
    return points.stream()
        .flatMap(p -> p.getAttributes().asMap().values().stream())
        .map(String::valueOf)
        .collect(Collectors.toList());
  }

  private static Attributes routeAttributes(long status) {
    return Attributes.of(HTTP_ROUTE, ROUTE, HTTP_STATUS, status);
  }

  /** Requests counted so far on the points whose attributes include {@code selector}. */
  private long count(Attributes selector) {
    return points().stream()
        .filter(
            p ->
                selector.asMap().entrySet().stream()
                    .allMatch(e -> e.getValue().equals(p.getAttributes().get(e.getKey()))))
        .mapToLong(HistogramPointData::getCount)
        .sum();
  }

  private List<HistogramPointData> points() {
    return metrics.collectAllMetrics().stream()
        .filter(m -> m.getName().equals(PricingTelemetry.HTTP_SERVER_REQUEST_DURATION))
        .flatMap(m -> m.getHistogramData().getPoints().stream())
        .toList();
  }
}
