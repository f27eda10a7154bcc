package io.kindops.pricing.telemetry;

import io.opentelemetry.sdk.autoconfigure.spi.AutoConfigurationCustomizerProvider;
import io.opentelemetry.sdk.metrics.Aggregation;
import io.opentelemetry.sdk.metrics.ExplicitBucketHistogramOptions;
import io.opentelemetry.sdk.metrics.InstrumentSelector;
import io.opentelemetry.sdk.metrics.View;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Adjusts the SDK that the OpenTelemetry Spring Boot starter builds. */
@Configuration(proxyBeanMethods = false)
public class TelemetryConfiguration {

  /**
   * {@code http.server.request.duration} with {@link PricingTelemetry#LATENCY_BUCKETS}: the latency
   * SLO counts requests under 300 ms from the {@code le="0.3"} bucket, which the
   * semantic-convention default boundaries do not have.
   */
  @Bean
  AutoConfigurationCustomizerProvider latencyBuckets() {
    return customizer ->
        customizer.addMeterProviderCustomizer(
            (builder, config) ->
                builder.registerView(
                    InstrumentSelector.builder()
                        .setName(PricingTelemetry.HTTP_SERVER_REQUEST_DURATION)
                        .build(),
                    View.builder()
                        .setAggregation(
                            Aggregation.explicitBucketHistogram(
                                ExplicitBucketHistogramOptions.builder()
                                    .setBucketBoundaries(PricingTelemetry.LATENCY_BUCKETS)
                                    .build()))
                        .build()));
  }
}
