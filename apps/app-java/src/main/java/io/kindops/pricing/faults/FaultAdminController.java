package io.kindops.pricing.faults;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** Reads and changes the fault flags at run time (game days). Guarded by the admin token. */
@RestController
@RequestMapping("/admin/faults")
public class FaultAdminController {

  private final FaultState state;

  public FaultAdminController(FaultState state) {
    this.state = state;
  }

  @GetMapping
  public FaultsBody get() {
    return FaultsBody.of(state.current());
  }

  @PutMapping
  public FaultsBody put(@Valid @RequestBody FaultsBody body, HttpServletRequest request) {
    FaultSettings next = new FaultSettings(body.latencyMs(), body.errorRate());
    state.update(next, "admin-api " + request.getRemoteAddr());
    return FaultsBody.of(next);
  }

  /**
   * The fault flags on the wire; both fields are required on {@code PUT}.
   *
   * @param latencyMs added latency in milliseconds
   * @param errorRate share of requests failed, 0..1
   */
  public record FaultsBody(
      @NotNull @Min(0) @Max(FaultSettings.MAX_LATENCY_MS) Long latencyMs,
      @NotNull @DecimalMin("0.0") @DecimalMax("1.0") Double errorRate) {

    static FaultsBody of(FaultSettings settings) {
      return new FaultsBody(settings.latencyMs(), settings.errorRate());
    }
  }
}
