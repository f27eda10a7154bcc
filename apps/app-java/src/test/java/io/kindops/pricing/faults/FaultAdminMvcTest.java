package io.kindops.pricing.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.put;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import io.kindops.pricing.NoopTelemetryConfiguration;
import io.kindops.pricing.api.ProblemTypes;
import io.kindops.pricing.config.PricingConfiguration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.web.servlet.WebMvcTest;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.test.json.JsonCompareMode;
import org.springframework.test.web.servlet.MockMvc;

/** The admin API with a token configured: authentication, reads, changes and validation. */
@WebMvcTest(
    controllers = FaultAdminController.class,
    properties = "ADMIN_TOKEN=" + FaultAdminMvcTest.TOKEN)
@Import({PricingConfiguration.class, FaultsConfiguration.class, NoopTelemetryConfiguration.class})
class FaultAdminMvcTest {

  static final String TOKEN = "mvc-admin-token-0123456789";

  @Autowired private MockMvc mvc;
  @Autowired private FaultState state;

  @AfterEach
  void reset() {
    state.update(FaultSettings.NONE, "test");
  }

  @Test
  void withoutTheHeaderIsA401Problem() throws Exception {
    mvc.perform(get("/admin/faults"))
        .andExpect(status().isUnauthorized())
        .andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
        .andExpect(jsonPath("$.type").value(ProblemTypes.ADMIN_UNAUTHORIZED.toString()))
        .andExpect(jsonPath("$.detail").value("missing X-Admin-Token header"));
  }

  @Test
  void withAWrongTokenIsA401AndChangesNothing() throws Exception {
    mvc.perform(
            put("/admin/faults")
                .header("X-Admin-Token", TOKEN + "x")
                .contentType(MediaType.APPLICATION_JSON)
                .content("{\"latencyMs\":100,\"errorRate\":1.0}"))
        .andExpect(status().isUnauthorized())
        .andExpect(jsonPath("$.detail").value("wrong X-Admin-Token"));

    assertThat(state.current()).isEqualTo(FaultSettings.NONE);
  }

  @Test
  void readsTheFlagsInForce() throws Exception {
    mvc.perform(get("/admin/faults").header("X-Admin-Token", TOKEN))
        .andExpect(status().isOk())
        .andExpect(content().json("{\"latencyMs\":0,\"errorRate\":0.0}", JsonCompareMode.STRICT));
  }

  @Test
  void changesTheFlags() throws Exception {
    mvc.perform(
            put("/admin/faults")
                .header("X-Admin-Token", TOKEN)
                .contentType(MediaType.APPLICATION_JSON)
                .content("{\"latencyMs\":300,\"errorRate\":0.25}"))
        .andExpect(status().isOk())
        .andExpect(
            content().json("{\"latencyMs\":300,\"errorRate\":0.25}", JsonCompareMode.STRICT));

    assertThat(state.current()).isEqualTo(new FaultSettings(300, 0.25));
    mvc.perform(get("/admin/faults").header("X-Admin-Token", TOKEN))
        .andExpect(
            content().json("{\"latencyMs\":300,\"errorRate\":0.25}", JsonCompareMode.STRICT));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "{\"latencyMs\":0,\"errorRate\":1.5}     | errorRate",
        "{\"latencyMs\":-1,\"errorRate\":0}      | latencyMs",
        "{\"latencyMs\":30001,\"errorRate\":0}   | latencyMs",
        "{\"errorRate\":0.5}                     | latencyMs",
        "{\"latencyMs\":5}                       | errorRate",
      })
  void rejectsInvalidFlagsAndKeepsTheOldOnes(String body, String field) throws Exception {
    mvc.perform(
            put("/admin/faults")
                .header("X-Admin-Token", TOKEN)
                .contentType(MediaType.APPLICATION_JSON)
                .content(body))
        .andExpect(status().isBadRequest())
        .andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
        .andExpect(jsonPath("$.errors[0].field").value(field));

    assertThat(state.current()).isEqualTo(FaultSettings.NONE);
  }
}
