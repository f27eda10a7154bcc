package io.kindops.pricing;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.time.Duration;

/**
 * The container HEALTHCHECK: exits 0 when {@code /actuator/health/readiness} on this host answers
 * 200, 1 otherwise. Plain JDK, no Spring, so it starts fast in a JRE-only image.
 *
 * <pre>java -cp app-java.jar io.kindops.pricing.HealthCheck</pre>
 *
 * Port from {@code SERVER_PORT} (default 8080).
 */
public final class HealthCheck {

  private HealthCheck() {}

  public static void main(String[] args) {
    String port = System.getenv().getOrDefault("SERVER_PORT", "8080");
    URI uri = URI.create("http://127.0.0.1:" + port + "/actuator/health/readiness");
    System.exit(check(uri, Duration.ofSeconds(3)));
  }

  /** 0 if {@code uri} answers 200 within {@code timeout}, 1 otherwise (reason on stderr). */
  static int check(URI uri, Duration timeout) {
    HttpURLConnection connection = null;
    try {
      connection = (HttpURLConnection) uri.toURL().openConnection();
      connection.setConnectTimeout((int) timeout.toMillis());
      connection.setReadTimeout((int) timeout.toMillis());
      connection.setRequestMethod("GET");
      int status = connection.getResponseCode();
      try (InputStream body =
          status < 400 ? connection.getInputStream() : connection.getErrorStream()) {
        if (body != null) {
          body.readAllBytes();
        }
      }
      if (status == 200) {
        return 0;
      }
      System.err.println("healthcheck: " + uri + " answered " + status);
      return 1;
    } catch (IOException | IllegalArgumentException e) {
      System.err.println("healthcheck: " + uri + " unreachable: " + e);
      return 1;
    } finally {
      if (connection != null) {
        connection.disconnect();
      }
    }
  }
}
