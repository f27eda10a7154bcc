package io.kindops.pricing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.GZIPInputStream;

/**
 * A minimal OTLP/HTTP (protobuf) receiver on loopback: it stores what the application exports to
 * {@code /v1/traces}, {@code /v1/metrics} and {@code /v1/logs}, the way a collector gets it.
 */
public final class OtlpReceiver implements AutoCloseable {

  private final HttpServer server;
  private final List<ExportTraceServiceRequest> traces = new CopyOnWriteArrayList<>();
  private final List<ExportMetricsServiceRequest> metrics = new CopyOnWriteArrayList<>();
  private final List<ExportLogsServiceRequest> logs = new CopyOnWriteArrayList<>();

  public OtlpReceiver() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/v1/traces", e -> receive(e, b -> traces.add(ExportTraceServiceRequest.parseFrom(b))));
    server.createContext(
        "/v1/metrics", e -> receive(e, b -> metrics.add(ExportMetricsServiceRequest.parseFrom(b))));
    server.createContext(
        "/v1/logs", e -> receive(e, b -> logs.add(ExportLogsServiceRequest.parseFrom(b))));
    server.start();
  }

  public String endpoint() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  public List<ExportTraceServiceRequest> traces() {
    return traces;
  }

  public List<ExportMetricsServiceRequest> metrics() {
    return metrics;
  }

  public List<ExportLogsServiceRequest> logs() {
    return logs;
  }

  @Override
  public void close() {
    server.stop(0);
  }

  private interface Store {
    void accept(byte[] body) throws IOException;
  }

  private static void receive(HttpExchange exchange, Store store) throws IOException {
    try (exchange) {
      if (!"POST".equals(exchange.getRequestMethod())) {
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      byte[] body;
      try (InputStream in = exchange.getRequestBody()) {
        String encoding = exchange.getRequestHeaders().getFirst("Content-Encoding");
        body =
            "gzip".equalsIgnoreCase(encoding)
                ? new GZIPInputStream(in).readAllBytes()
                : in.readAllBytes();
      }
      store.accept(body);
      // An empty Export*ServiceResponse is zero bytes of protobuf: full success.
      exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
      exchange.sendResponseHeaders(200, -1);
    }
  }
}
