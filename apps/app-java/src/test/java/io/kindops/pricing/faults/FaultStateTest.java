package io.kindops.pricing.faults;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class FaultStateTest {

  private final Logger logger = (Logger) LoggerFactory.getLogger(FaultState.class);
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();

  @BeforeEach
  void captureLogs() {
    logs.start();
    logger.addAppender(logs);
  }

  @AfterEach
  void releaseLogs() {
    logger.detachAppender(logs);
  }

  @Test
  void updateSwapsTheSettingsAndReturnsThePreviousOnes() {
    FaultState state = new FaultState(FaultSettings.NONE);
    FaultSettings next = new FaultSettings(250, 0.5);

    FaultSettings previous = state.update(next, "admin-api 127.0.0.1");

    assertThat(previous).isEqualTo(FaultSettings.NONE);
    assertThat(state.current()).isEqualTo(next);
  }

  @Test
  void everyChangeIsLoggedWithOldAndNewValuesAndWhoAsked() {
    FaultState state = new FaultState(FaultSettings.NONE);

    state.update(new FaultSettings(250, 0.5), "admin-api 10.1.2.3");
    state.update(FaultSettings.NONE, "admin-api 10.1.2.3");

    assertThat(logs.list).hasSize(2);
    ILoggingEvent first = logs.list.get(0);
    assertThat(first.getLevel()).isEqualTo(Level.WARN);
    assertThat(first.getFormattedMessage()).isEqualTo("fault settings changed");
    assertThat(keyValues(first))
        .containsEntry("fault.latency_ms", 250L)
        .containsEntry("fault.error_rate", 0.5)
        .containsEntry("fault.previous_latency_ms", 0L)
        .containsEntry("fault.previous_error_rate", 0.0)
        .containsEntry("fault.changed_by", "admin-api 10.1.2.3");
    assertThat(keyValues(logs.list.get(1)))
        .containsEntry("fault.latency_ms", 0L)
        .containsEntry("fault.previous_latency_ms", 250L);
  }

  @Test
  void faultsActiveAtStartUpAreLoggedAndInactiveOnesAreNot() {
    new FaultState(FaultSettings.NONE);
    assertThat(logs.list).isEmpty();

    new FaultState(new FaultSettings(100, 0));
    assertThat(logs.list)
        .singleElement()
        .satisfies(
            e ->
                assertThat(e.getFormattedMessage())
                    .isEqualTo("fault injection active at start-up"));
  }

  private static Map<String, Object> keyValues(ILoggingEvent event) {
    return event.getKeyValuePairs().stream()
        .collect(Collectors.toMap(kv -> kv.key, kv -> kv.value));
  }
}
