package io.kindops.pricing;

import io.opentelemetry.sdk.autoconfigure.spi.AutoConfigurationCustomizerProvider;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;

/**
 * Plugs in-memory span and metric readers into the SDK that the OpenTelemetry starter builds, next
 * to whatever exporters the OTEL_* settings choose (none in the test profile).
 */
@TestConfiguration(proxyBeanMethods = false)
public class TestTelemetryConfiguration {

  @Bean
  InMemorySpanExporter inMemorySpanExporter() {
    return InMemorySpanExporter.create();
  }

  @Bean
  InMemoryMetricReader inMemoryMetricReader() {
    return InMemoryMetricReader.create();
  }

  @Bean
  AutoConfigurationCustomizerProvider inMemoryTelemetry(
      InMemorySpanExporter spans, InMemoryMetricReader metrics) {
    return customizer ->
        customizer
            .addTracerProviderCustomizer(
                (builder, config) -> builder.addSpanProcessor(SimpleSpanProcessor.create(spans)))
            .addMeterProviderCustomizer((builder, config) -> builder.registerMetricReader(metrics));
  }
}
