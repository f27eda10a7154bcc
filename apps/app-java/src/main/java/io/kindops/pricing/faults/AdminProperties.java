package io.kindops.pricing.faults;

import jakarta.validation.constraints.Pattern;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/**
 * The admin API ({@code /admin/**}).
 *
 * @param token shared secret expected in the {@code X-Admin-Token} header; env {@code ADMIN_TOKEN}.
 *     Empty means the admin API is disabled (it answers 404).
 */
@Validated
@ConfigurationProperties("pricing.admin")
public record AdminProperties(
    @Pattern(
            regexp = "(.{16,})?",
            message = "must be empty (admin API disabled) or at least 16 characters long")
        String token) {

  /** Whether a token is configured. */
  public boolean enabled() {
    return token != null && !token.isEmpty();
  }
}
