package io.kindops.pricing.api;

import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.hasSize;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import io.kindops.pricing.NoopTelemetryConfiguration;
import io.kindops.pricing.config.PricingConfiguration;
import io.kindops.pricing.faults.FaultsConfiguration;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.web.servlet.WebMvcTest;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.test.json.JsonCompareMode;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.ResultActions;

/** Request validation and problem+json bodies of the pricing API, against the real catalog. */
@WebMvcTest(controllers = {PriceController.class, QuoteController.class})
@Import({PricingConfiguration.class, FaultsConfiguration.class, NoopTelemetryConfiguration.class})
class ApiMvcTest {

  private static final MediaType PROBLEM = MediaType.APPLICATION_PROBLEM_JSON;

  @Autowired private MockMvc mvc;

  @Test
  void priceOfAKnownSku() throws Exception {
    mvc.perform(get("/api/v1/prices/SKU-001"))
        .andExpect(status().isOk())
        .andExpect(content().contentType(MediaType.APPLICATION_JSON))
        .andExpect(
            content()
                .json(
                    "{\"sku\":\"SKU-001\",\"unitPriceCents\":1299,\"currency\":\"USD\"}",
                    JsonCompareMode.STRICT));
  }

  @Test
  void priceOfAnUnknownSkuIsA404Problem() throws Exception {
    mvc.perform(get("/api/v1/prices/SKU-999"))
        .andExpect(status().isNotFound())
        .andExpect(content().contentType(PROBLEM))
        .andExpect(jsonPath("$.type").value(ProblemTypes.UNKNOWN_SKU.toString()))
        .andExpect(jsonPath("$.title").value("Unknown SKU"))
        .andExpect(jsonPath("$.status").value(404))
        .andExpect(jsonPath("$.detail").value("unknown sku: SKU-999"))
        .andExpect(jsonPath("$.instance").value("/api/v1/prices/SKU-999"))
        .andExpect(jsonPath("$.skus", contains("SKU-999")));
  }

  @Test
  void aClientAcceptingOnlyJsonStillGetsTheProblemBody() throws Exception {
    mvc.perform(get("/api/v1/prices/SKU-999").accept(MediaType.APPLICATION_JSON))
        .andExpect(status().isNotFound())
        .andExpect(jsonPath("$.skus", contains("SKU-999")));
  }

  @Test
  void priceOfAMalformedSkuIsA400NamingTheField() throws Exception {
    mvc.perform(get("/api/v1/prices/sku-1"))
        .andExpect(status().isBadRequest())
        .andExpect(content().contentType(PROBLEM))
        .andExpect(jsonPath("$.type").value(ProblemTypes.VALIDATION.toString()))
        .andExpect(jsonPath("$.errors[0].field").value("sku"))
        .andExpect(jsonPath("$.errors[0].message").value("must match SKU-[0-9]{3}"));
  }

  @Test
  void quoteOfTheContractExample() throws Exception {
    quote("{\"orderId\":\"ord-42\",\"items\":[{\"sku\":\"SKU-001\",\"quantity\":2}]}")
        .andExpect(status().isOk())
        .andExpect(content().contentType(MediaType.APPLICATION_JSON))
        .andExpect(
            content()
                .json(
                    "{\"orderId\":\"ord-42\",\"currency\":\"USD\",\"totalCents\":2598,"
                        + "\"lines\":[{\"sku\":\"SKU-001\",\"quantity\":2,"
                        + "\"unitPriceCents\":1299,\"lineTotalCents\":2598}]}",
                    JsonCompareMode.STRICT));
  }

  @Test
  void quoteSumsSeveralLines() throws Exception {
    quote(
            "{\"orderId\":\"o\",\"items\":[{\"sku\":\"SKU-001\",\"quantity\":1},"
                + "{\"sku\":\"SKU-001\",\"quantity\":1000}]}")
        .andExpect(status().isOk())
        .andExpect(jsonPath("$.totalCents").value(1299 * 1001))
        .andExpect(jsonPath("$.lines", hasSize(2)))
        .andExpect(jsonPath("$.lines[1].lineTotalCents").value(1_299_000));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "{\"orderId\":\"o\",\"items\":[]}" + "| items | must not be empty",
        "{\"orderId\":\"o\"}" + "| items | must not be empty",
        "{\"orderId\":\"o\",\"items\":[{\"sku\":\"SKU-001\",\"quantity\":0}]}"
            + "| items[0].quantity | must be greater than or equal to 1",
        "{\"orderId\":\"o\",\"items\":[{\"sku\":\"SKU-001\",\"quantity\":1001}]}"
            + "| items[0].quantity | must be less than or equal to 1000",
        "{\"orderId\":\"o\",\"items\":[{\"sku\":\"SKU-001\"}]}"
            + "| items[0].quantity | must not be null",
        "{\"orderId\":\"o\",\"items\":[{\"sku\":\"SKU-1\",\"quantity\":1}]}"
            + "| items[0].sku | must match SKU-[0-9]{3}",
        "{\"orderId\":\"o\",\"items\":[{\"quantity\":1}]}" + "| items[0].sku | must not be null",
        "{\"orderId\":\" \",\"items\":[{\"sku\":\"SKU-001\",\"quantity\":1}]}"
            + "| orderId | must not be blank",
        "{\"items\":[{\"sku\":\"SKU-001\",\"quantity\":1}]}" + "| orderId | must not be blank",
        "{\"orderId\":\"o\",\"items\":[null]}" + "| items[0] | must not be null",
        "{\"orderId\":\"o\",\"items\":[{\"sku\":\"SKU-001\",\"quantity\":2.5}]}"
            + "| items[0].quantity | has the wrong type",
        "{\"orderId\":\"o\",\"items\":[{\"sku\":\"SKU-001\",\"quantity\":\"two\"}]}"
            + "| items[0].quantity | has the wrong type",
        "{\"orderId\":\"o\",\"items\":{\"sku\":\"SKU-001\"}}" + "| items | has the wrong type",
        "{\"orderId\":\"o\",\"items\":[" + "| body | is not valid JSON",
      })
  void anInvalidQuoteIsA400ProblemNamingTheField(String body, String field, String message)
      throws Exception {
    quote(body)
        .andExpect(status().isBadRequest())
        .andExpect(content().contentType(PROBLEM))
        .andExpect(jsonPath("$.type").value(ProblemTypes.VALIDATION.toString()))
        .andExpect(jsonPath("$.title").value("Invalid request"))
        .andExpect(jsonPath("$.status").value(400))
        .andExpect(jsonPath("$.instance").value("/api/v1/quotes"))
        .andExpect(jsonPath("$.errors", hasSize(1)))
        .andExpect(jsonPath("$.errors[0].field").value(field))
        .andExpect(jsonPath("$.errors[0].message").value(message))
        .andExpect(jsonPath("$.detail").value(field + ": " + message));
  }

  @Test
  void everyInvalidFieldIsNamed() throws Exception {
    quote(
            "{\"orderId\":\"\",\"items\":[{\"sku\":\"bad\",\"quantity\":1},"
                + "{\"sku\":\"SKU-002\",\"quantity\":-1}]}")
        .andExpect(status().isBadRequest())
        .andExpect(
            jsonPath("$.errors[*].field")
                .value(contains("items[0].sku", "items[1].quantity", "orderId")));
  }

  @Test
  void tooManyItemsIsA400() throws Exception {
    String items =
        IntStream.rangeClosed(1, QuoteRequest.MAX_ITEMS + 1)
            .mapToObj(i -> "{\"sku\":\"SKU-001\",\"quantity\":1}")
            .collect(Collectors.joining(","));
    quote("{\"orderId\":\"o\",\"items\":[" + items + "]}")
        .andExpect(status().isBadRequest())
        .andExpect(jsonPath("$.errors[0].field").value("items"))
        .andExpect(jsonPath("$.errors[0].message").value("size must be between 0 and 100"));
  }

  @Test
  void quoteWithUnknownSkusIsA404NamingThem() throws Exception {
    quote(
            "{\"orderId\":\"o\",\"items\":[{\"sku\":\"SKU-998\",\"quantity\":1},"
                + "{\"sku\":\"SKU-001\",\"quantity\":1},{\"sku\":\"SKU-999\",\"quantity\":1}]}")
        .andExpect(status().isNotFound())
        .andExpect(content().contentType(PROBLEM))
        .andExpect(jsonPath("$.type").value(ProblemTypes.UNKNOWN_SKU.toString()))
        .andExpect(jsonPath("$.skus", contains("SKU-998", "SKU-999")));
  }

  @Test
  void anUnsupportedMethodIsA405Problem() throws Exception {
    mvc.perform(post("/api/v1/prices/SKU-001"))
        .andExpect(status().isMethodNotAllowed())
        .andExpect(content().contentType(PROBLEM))
        .andExpect(jsonPath("$.status").value(405));
  }

  @Test
  void aWrongContentTypeIsA415Problem() throws Exception {
    mvc.perform(post("/api/v1/quotes").contentType(MediaType.TEXT_PLAIN).content("x"))
        .andExpect(status().isUnsupportedMediaType())
        .andExpect(content().contentType(PROBLEM));
  }

  private ResultActions quote(String body) throws Exception {
    return mvc.perform(
        post("/api/v1/quotes").contentType(MediaType.APPLICATION_JSON).content(body));
  }
}
