package io.kindops.pricing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.web.ServerProperties;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.web.server.Shutdown;
import org.springframework.context.ApplicationContext;
import org.springframework.core.env.Environment;

/** The HTTP API and the probes over a real socket. */
@AppIntegrationTest
class PricingApiIT {

  @LocalServerPort private int port;
  @Autowired private ObjectMapper json;
  @Autowired private ApplicationContext context;
  private HttpApi http;

  @BeforeEach
  void setUp() {
    http = new HttpApi(port);
  }

  @Test
  void pricesAKnownSku() throws Exception {
    HttpResponse<String> response = http.get("/api/v1/prices/SKU-001");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(json.readTree(response.body()))
        .isEqualTo(
            json.readTree("{\"sku\":\"SKU-001\",\"unitPriceCents\":1299,\"currency\":\"USD\"}"));
  }

  @Test
  void anUnknownSkuIsA404Problem() throws Exception {
    HttpResponse<String> response = http.get("/api/v1/prices/SKU-777");

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    JsonNode body = json.readTree(response.body());
    assertThat(body.get("status").asInt()).isEqualTo(404);
    assertThat(body.get("skus").get(0).asText()).isEqualTo("SKU-777");
  }

  @Test
  void quotesAnOrder() throws Exception {
    HttpResponse<String> response =
        http.post(
            "/api/v1/quotes",
            "{\"orderId\":\"it-1\",\"items\":[{\"sku\":\"SKU-001\",\"quantity\":2}]}");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(json.readTree(response.body()))
        .isEqualTo(
            json.readTree(
                "{\"orderId\":\"it-1\",\"currency\":\"USD\",\"totalCents\":2598,"
                    + "\"lines\":[{\"sku\":\"SKU-001\",\"quantity\":2,"
                    + "\"unitPriceCents\":1299,\"lineTotalCents\":2598}]}"));
  }

  @Test
  void anInvalidQuoteIsA400ProblemNamingTheField() throws Exception {
    HttpResponse<String> response =
        http.post(
            "/api/v1/quotes",
            "{\"orderId\":\"it-2\",\"items\":[{\"sku\":\"SKU-001\",\"quantity\":1001}]}");

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(json.readTree(response.body()).at("/errors/0/field").asText())
        .isEqualTo("items[0].quantity");
  }

  @Test
  void anUnknownPathIsA404Problem() {
    HttpResponse<String> response = http.get("/api/v2/nothing");

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
  }

  @Test
  void probesAreUp() throws Exception {
    for (String probe :
        new String[] {
          "/actuator/health", "/actuator/health/liveness", "/actuator/health/readiness"
        }) {
      HttpResponse<String> response = http.get(probe);
      assertThat(response.statusCode()).as(probe).isEqualTo(200);
      assertThat(json.readTree(response.body()).get("status").asText()).as(probe).isEqualTo("UP");
    }
  }

  @Test
  void readinessFollowsTheApplicationState() {
    AvailabilityChangeEvent.publish(context, ReadinessState.REFUSING_TRAFFIC);
    try {
      assertThat(http.get("/actuator/health/readiness").statusCode()).isEqualTo(503);
      assertThat(http.get("/actuator/health/liveness").statusCode()).isEqualTo(200);
    } finally {
      AvailabilityChangeEvent.publish(context, ReadinessState.ACCEPTING_TRAFFIC);
    }
    assertThat(http.get("/actuator/health/readiness").statusCode()).isEqualTo(200);
  }

  @Test
  void onlyHealthAndInfoAreExposed() {
    assertThat(http.get("/actuator/env").statusCode()).isEqualTo(404);
    assertThat(http.get("/actuator/beans").statusCode()).isEqualTo(404);
  }

  @Test
  void shutdownIsGracefulWithTheConfiguredTimeout(
      @Autowired ServerProperties server, @Autowired Environment environment) {
    assertThat(server.getShutdown()).isEqualTo(Shutdown.GRACEFUL);
    assertThat(
            environment.getProperty("spring.lifecycle.timeout-per-shutdown-phase", Duration.class))
        .isEqualTo(Duration.ofSeconds(20));
  }
}
