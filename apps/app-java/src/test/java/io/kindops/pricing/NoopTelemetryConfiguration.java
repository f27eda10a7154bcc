package io.kindops.pricing;

import io.opentelemetry.api.OpenTelemetry;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;

/** For MVC slice tests, which do not load the OpenTelemetry starter. */
@TestConfiguration(proxyBeanMethods = false)
public class NoopTelemetryConfiguration {

  @Bean
  OpenTelemetry openTelemetry() {
    return OpenTelemetry.noop();
  }
}
