package io.twinstream.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.twinstream.lifecycle.http.LifecycleMetrics;
import io.twinstream.lifecycle.http.LifecycleServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LifecycleServerTest {

  @TempDir Path tmp;

  private static HttpResponse<String> get(int port, String path) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).build(),
            HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void statusAndMetricsTellWhichVersionServesWhatWasRetiredAndWhenItGoes() throws Exception {
    PrometheusRegistry registry = new PrometheusRegistry();
    try (World w = new World(tmp, 12)) {
      LifecycleController[] c = new LifecycleController[1];
      Supplier<LifecycleController.Snapshot> snapshot = () -> snapshot(c[0]);
      LifecycleMetrics metrics = new LifecycleMetrics(registry, snapshot);
      c[0] = w.controller(LifecycleControllerTest.SETTINGS, metrics);
      c[0].settle();
      w.decide("v2");
      c[0].settle();
      try (LifecycleServer server = LifecycleServer.start(0, registry, snapshot)) {
        JsonNode status = new ObjectMapper().readTree(get(server.port(), "/v1/lifecycle").body());
        assertEquals("v2", status.get("serving").asText());
        assertEquals("v2", status.get("target").asText());
        JsonNode v1 = null;
        for (JsonNode v : status.get("versions")) {
          if (v.get("version").asText().equals("v1")) {
            v1 = v;
          }
        }
        assertEquals("RETIRED", v1.get("phase").asText(), status.toString());
        assertEquals(12, v1.get("rows").asLong());
        assertEquals(
            w.now.plus(LifecycleControllerTest.GRACE).toString(), v1.get("dropDue").asText());

        String text = get(server.port(), "/metrics").body();
        assertTrue(text.contains("twinstream_lifecycle_serving{version=\"v2\"} 1"), text);
        assertTrue(
            text.contains("twinstream_lifecycle_version_phase{phase=\"RETIRED\",version=\"v1\"} 1"),
            text);
        assertTrue(text.contains("twinstream_lifecycle_steps_total{step=\"cut-over\"} 2"), text);
        assertTrue(text.contains("twinstream_lifecycle_version_rows{version=\"v2\"} 12"), text);
        assertEquals(404, get(server.port(), "/nothing").statusCode());
        assertEquals(200, get(server.port(), "/-/healthy").statusCode());
      }
    }
  }

  private static LifecycleController.Snapshot snapshot(LifecycleController c) {
    try {
      return c.snapshot();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
