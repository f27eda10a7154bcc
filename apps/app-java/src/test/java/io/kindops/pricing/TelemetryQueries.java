package io.kindops.pricing;

import static org.awaitility.Awaitility.await;

import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.List;

/** Waits for spans that the application exports after answering. */
public final class TelemetryQueries {

  private TelemetryQueries() {}

  /** The spans of one trace, once its server span has ended (it ends after the response). */
  public static List<SpanData> awaitTrace(InMemorySpanExporter exporter, String traceId) {
    return await()
        .atMost(Duration.ofSeconds(15))
        .until(
            () ->
                exporter.getFinishedSpanItems().stream()
                    .filter(s -> s.getTraceId().equals(traceId))
                    .toList(),
            spans -> spans.stream().anyMatch(s -> s.getKind() == SpanKind.SERVER));
  }

  public static SpanData serverSpan(List<SpanData> trace) {
    return trace.stream().filter(s -> s.getKind() == SpanKind.SERVER).findFirst().orElseThrow();
  }
}
