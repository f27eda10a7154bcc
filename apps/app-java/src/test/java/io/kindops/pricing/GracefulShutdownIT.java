package io.kindops.pricing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kindops.pricing.telemetry.PricingTelemetry;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/** On shutdown (SIGTERM closes the context the same way) an in-flight request still completes. */
class GracefulShutdownIT {

  @Test
  void anInFlightRequestCompletesDuringShutdown() throws Exception {
    ConfigurableApplicationContext context =
        new SpringApplicationBuilder(PricingApplication.class, TestTelemetryConfiguration.class)
            .profiles("test")
            .run("--server.port=0", "--server.address=127.0.0.1", "--FAULT_LATENCY_MS=1000");
    try {
      int port = ((WebServerApplicationContext) context).getWebServer().getPort();
      InMemoryMetricReader metrics = context.getBean(InMemoryMetricReader.class);
      HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      CompletableFuture<HttpResponse<String>> inFlight =
          client.sendAsync(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + port + "/api/v1/prices/SKU-001"))
                  .timeout(Duration.ofSeconds(30))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      // The injector counts the latency fault just before it holds the request: from then on
      // the request is in flight.
      await().atMost(Duration.ofSeconds(15)).until(() -> latencyFaults(metrics) > 0);

      context.close();

      assertThat(context.isActive()).isFalse();
      HttpResponse<String> response = inFlight.get();
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.body()).contains("\"unitPriceCents\":1299");
    } finally {
      if (context.isActive()) {
        context.close();
      }
    }
  }

  private static long latencyFaults(InMemoryMetricReader metrics) {
    return metrics.collectAllMetrics().stream()
        .filter(m -> m.getName().equals(PricingTelemetry.METRIC_FAULTS_INJECTED))
        .flatMap(m -> m.getLongSumData().getPoints().stream())
        .filter(p -> "latency".equals(p.getAttributes().get(PricingTelemetry.FAULT_TYPE)))
        .mapToLong(LongPointData::getValue)
        .sum();
  }
}
