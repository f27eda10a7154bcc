package io.kindops.pricing.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class FaultSettingsTest {

  @Test
  void offByDefault() {
    assertThat(FaultSettings.NONE.active()).isFalse();
    assertThat(new FaultSettings(1, 0).active()).isTrue();
    assertThat(new FaultSettings(0, 0.01).active()).isTrue();
  }

  @Test
  void acceptsTheBounds() {
    assertThat(new FaultSettings(FaultSettings.MAX_LATENCY_MS, 1.0).errorRate()).isEqualTo(1.0);
  }

  @Test
  void rejectsOutOfRangeValues() {
    assertThatThrownBy(() -> new FaultSettings(-1, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("latencyMs -1");
    assertThatThrownBy(() -> new FaultSettings(FaultSettings.MAX_LATENCY_MS + 1, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new FaultSettings(0, 1.01))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("errorRate 1.01");
    assertThatThrownBy(() -> new FaultSettings(0, -0.1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new FaultSettings(0, Double.NaN))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
