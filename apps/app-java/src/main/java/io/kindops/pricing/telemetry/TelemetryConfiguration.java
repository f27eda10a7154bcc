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
   * {@code http.server.request.duration} with {@link PricingTelemetry#LATENCY_BUCKETS} and only
   * {@link PricingTelemetry#HTTP_SERVER_REQUEST_DURATION_ATTRIBUTES}.
   *
   * <p>Buckets: the latency SLO counts requests under 300 ms from the {@code le="0.3"} bucket,
   * which the semantic-convention default boundaries do not have.
   *
   * <p>Attributes: a registered view replaces the instrumentation's attribute advice, so without an
   * explicit filter every attribute of the server span (url.path, client.address,
   * network.peer.port, user_agent.original, ...) would become a metric attribute. Points are
   * aggregated over the dropped keys in the SDK, so counts stay exact.
   */
  @Bean
  AutoConfigurationCustomizerProvider httpServerRequestDurationView() {
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
                        .setAttributeFilter(
                            PricingTelemetry.HTTP_SERVER_REQUEST_DURATION_ATTRIBUTES)
                        .build()));
  }
}
