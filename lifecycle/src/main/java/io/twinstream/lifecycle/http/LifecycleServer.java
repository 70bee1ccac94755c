package io.twinstream.lifecycle.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.twinstream.lifecycle.LifecycleController;
import io.twinstream.lifecycle.VersionRecord;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The controller's HTTP endpoint: {@code /metrics} (Prometheus' own exporter over {@link
 * LifecycleMetrics}), {@code /-/healthy}, and {@code /v1/lifecycle}: every version's state as JSON,
 * read from the controller and the store.
 */
public final class LifecycleServer implements AutoCloseable {

  /**
   * The state {@code /v1/lifecycle} answers.
   *
   * @param target the version the registry serves
   * @param serving the version the store searches
   * @param versions each version's last record, with its rows in the store now
   * @param backfill the running backfill, if one runs
   */
  public record Status(
      String target, String serving, List<VersionStatus> versions, BackfillStatus backfill) {}

  /** The running backfill: {@code rows} of the version in the store, of {@code documents}. */
  public record BackfillStatus(String version, long rows, long documents, String started) {}

  /** One version, times as ISO-8601 strings (null where not reached). */
  public record VersionStatus(
      String version,
      String phase,
      String since,
      long rows,
      long documents,
      String backfillStarted,
      String backfillFinished,
      String cutOver,
      String dropDue,
      String note) {

    static VersionStatus of(VersionRecord r, Map<String, Long> rows) {
      return new VersionStatus(
          r.version(),
          r.phase().name(),
          text(r.at()),
          rows.getOrDefault(r.version(), 0L),
          r.documents(),
          text(r.backfillStarted()),
          text(r.backfillFinished()),
          text(r.cutOver()),
          text(r.dropDue()),
          r.note());
    }

    private static String text(Instant t) {
      return t == null ? null : t.toString();
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  private final HTTPServer server;

  private LifecycleServer(HTTPServer server) {
    this.server = server;
  }

  /**
   * Serves on {@code port} (0 = any free one).
   *
   * @throws IOException when the port cannot be bound
   */
  public static LifecycleServer start(
      int port, PrometheusRegistry registry, Supplier<LifecycleController.Snapshot> snapshot)
      throws IOException {
    HTTPServer server =
        HTTPServer.builder()
            .port(port)
            .registry(registry)
            .defaultHandler(exchange -> status(exchange, snapshot))
            .buildAndStart();
    return new LifecycleServer(server);
  }

  private static void status(HttpExchange exchange, Supplier<LifecycleController.Snapshot> snapshot)
      throws IOException {
    try (exchange) {
      if (!exchange.getRequestURI().getPath().equals("/v1/lifecycle")) {
        send(exchange, 404, "{\"error\":\"not found: try /v1/lifecycle or /metrics\"}");
        return;
      }
      LifecycleController.Snapshot s;
      try {
        s = snapshot.get();
      } catch (RuntimeException e) {
        send(
            exchange,
            503,
            JSON.writeValueAsString(Map.of("error", String.valueOf(e.getMessage()))));
        return;
      }
      Status status =
          new Status(
              s.target().orElse(null),
              s.serving().orElse(null),
              s.versions().stream().map(r -> VersionStatus.of(r, s.rows())).toList(),
              s.backfill()
                  .map(
                      b ->
                          new BackfillStatus(
                              b.version(), b.rows(), b.documents(), b.started().toString()))
                  .orElse(null));
      send(exchange, 200, JSON.writeValueAsString(status));
    }
  }

  private static void send(HttpExchange exchange, int code, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(code, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** The port it listens on. */
  public int port() {
    return server.getPort();
  }

  @Override
  public void close() {
    server.close();
  }
}
