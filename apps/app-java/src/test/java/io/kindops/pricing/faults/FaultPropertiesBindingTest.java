package io.kindops.pricing.faults;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.ConfigDataApplicationContextInitializer;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;

/**
 * The env variables of the contract ({@code FAULT_LATENCY_MS}, {@code FAULT_ERROR_RATE}, {@code
 * ADMIN_TOKEN}) reach the settings through application.yaml, and bad values stop start-up.
 */
class FaultPropertiesBindingTest {

  @Configuration(proxyBeanMethods = false)
  @EnableConfigurationProperties({FaultProperties.class, AdminProperties.class})
  static class Bound {}

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withInitializer(new ConfigDataApplicationContextInitializer())
          .withUserConfiguration(Bound.class);

  @Test
  void faultsAreOffAndAdminIsDisabledByDefault() {
    runner.run(
        context -> {
          assertThat(context).hasNotFailed();
          assertThat(context.getBean(FaultProperties.class).toSettings())
              .isEqualTo(FaultSettings.NONE);
          assertThat(context.getBean(AdminProperties.class).enabled()).isFalse();
        });
  }

  @Test
  void envVariablesSetTheInitialFaults() {
    runner
        .withPropertyValues(
            "FAULT_LATENCY_MS=250", "FAULT_ERROR_RATE=0.05", "ADMIN_TOKEN=s3cr3t-s3cr3t-s3cr3t")
        .run(
            context -> {
              assertThat(context.getBean(FaultProperties.class).toSettings())
                  .isEqualTo(new FaultSettings(250, 0.05));
              AdminProperties admin = context.getBean(AdminProperties.class);
              assertThat(admin.enabled()).isTrue();
              assertThat(admin.token()).isEqualTo("s3cr3t-s3cr3t-s3cr3t");
            });
  }

  @Test
  void anErrorRateAboveOneStopsStartUp() {
    runner
        .withPropertyValues("FAULT_ERROR_RATE=1.5")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("pricing.faults")
                    .hasMessageContaining("errorRate")
                    .hasMessageContaining("rejected value [1.5]"));
  }

  @Test
  void aNegativeLatencyStopsStartUp() {
    runner
        .withPropertyValues("FAULT_LATENCY_MS=-5")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("pricing.faults")
                    .hasMessageContaining("latencyMs")
                    .hasMessageContaining("rejected value [-5]"));
  }

  @Test
  void aShortAdminTokenStopsStartUp() {
    runner
        .withPropertyValues("ADMIN_TOKEN=short")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("pricing.admin")
                    .hasMessageContaining("token")
                    .hasMessageContaining("at least 16 characters"));
  }
}
