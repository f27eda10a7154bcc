package io.kindops.pricing.faults;

import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/**
 * Fault flags in force at start-up; off by default. They can be changed at run time through {@code
 * PUT /admin/faults}.
 *
 * @param latencyMs env {@code FAULT_LATENCY_MS}
 * @param errorRate env {@code FAULT_ERROR_RATE}
 */
@Validated
@ConfigurationProperties("pricing.faults")
public record FaultProperties(
    @Min(0) @Max(FaultSettings.MAX_LATENCY_MS) long latencyMs,
    @DecimalMin("0.0") @DecimalMax("1.0") double errorRate) {

  FaultSettings toSettings() {
    return new FaultSettings(latencyMs, errorRate);
  }
}
