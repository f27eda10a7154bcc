package io.kindops.pricing;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HealthCheckTest {

  private final AtomicInteger status = new AtomicInteger(200);
  private HttpServer server;

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/actuator/health/readiness",
        exchange -> {
          byte[] body = "{\"status\":\"X\"}".getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(status.get(), body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private URI readiness() {
    return URI.create(
        "http://127.0.0.1:" + server.getAddress().getPort() + "/actuator/health/readiness");
  }

  @Test
  void healthyWhenReadinessAnswers200() {
    assertThat(HealthCheck.check(readiness(), Duration.ofSeconds(5))).isZero();
  }

  @Test
  void unhealthyWhenReadinessAnswers503() {
    status.set(503);
    assertThat(HealthCheck.check(readiness(), Duration.ofSeconds(5))).isEqualTo(1);
  }

  @Test
  void unhealthyWhenNothingListens() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    URI closed = URI.create("http://127.0.0.1:" + port + "/actuator/health/readiness");
    assertThat(HealthCheck.check(closed, Duration.ofSeconds(5))).isEqualTo(1);
  }
}
