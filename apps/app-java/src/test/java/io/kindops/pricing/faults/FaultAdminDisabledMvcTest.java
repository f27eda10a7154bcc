package io.kindops.pricing.faults;

import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.put;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import io.kindops.pricing.NoopTelemetryConfiguration;
import io.kindops.pricing.config.PricingConfiguration;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.web.servlet.WebMvcTest;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.MockMvc;

/** Without ADMIN_TOKEN the admin API does not exist, whatever header is sent. */
@WebMvcTest(controllers = FaultAdminController.class)
@Import({PricingConfiguration.class, FaultsConfiguration.class, NoopTelemetryConfiguration.class})
class FaultAdminDisabledMvcTest {

  @Autowired private MockMvc mvc;

  @Test
  void readingIsA404() throws Exception {
    mvc.perform(get("/admin/faults").header("X-Admin-Token", "anything-at-all-0123"))
        .andExpect(status().isNotFound())
        .andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
        .andExpect(jsonPath("$.status").value(404));
  }

  @Test
  void changingIsA404() throws Exception {
    mvc.perform(
            put("/admin/faults")
                .header("X-Admin-Token", "")
                .contentType(MediaType.APPLICATION_JSON)
                .content("{\"latencyMs\":100,\"errorRate\":1.0}"))
        .andExpect(status().isNotFound());
  }
}
