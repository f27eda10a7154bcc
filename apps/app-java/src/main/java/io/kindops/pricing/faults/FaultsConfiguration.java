package io.kindops.pricing.faults;

import io.kindops.pricing.telemetry.PricingTelemetry;
import java.util.concurrent.ThreadLocalRandom;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The fault flags and their injector. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties({FaultProperties.class, AdminProperties.class})
public class FaultsConfiguration {

  @Bean
  FaultState faultState(FaultProperties properties) {
    return new FaultState(properties.toSettings());
  }

  @Bean
  FaultInjector faultInjector(FaultState state, PricingTelemetry telemetry) {
    return new FaultInjector(
        state, Sleeper.THREAD, () -> ThreadLocalRandom.current().nextDouble(), telemetry);
  }
}
