package io.twinstream.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.twinstream.records.LifecyclePhase;
import io.twinstream.records.VersionLifecycle;
import io.twinstream.schemas.AvroCodec;
import io.twinstream.schemas.LifecycleKeys;
import io.twinstream.store.LuceneVectorStore;
import io.twinstream.store.VectorRow;
import io.twinstream.store.VectorStore;
import io.twinstream.testkit.EmbeddedKafka;
import io.twinstream.testkit.KafkaRecords;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /v1/models} with the version lifecycle's journal on a real broker: each version of the
 * registry shows the phase, times and note its last record holds, and its rows as counted in the
 * store now, not as recorded; other registries' versions and the owner markers are not shown.
 */
class ModelsLifecycleITCase {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  private static VersionLifecycle record(String version, LifecyclePhase phase, long rows) {
    Instant t = Instant.parse("2026-12-07T12:00:00Z");
    return VersionLifecycle.newBuilder()
        .setVersion(version)
        .setPhase(phase)
        .setAt(t.plusSeconds(60))
        .setBackfillStarted(t)
        .setBackfillFinished(phase == LifecyclePhase.BACKFILLING ? null : t.plusSeconds(30))
        .setRows(rows)
        .setDocuments(3)
        .setCutOver(phase == LifecyclePhase.FULLY_SERVED ? t.plusSeconds(31) : null)
        .setDropDue(null)
        .setNote(phase == LifecyclePhase.BACKFILLING ? "" : "every document has a vector of it")
        .build();
  }

  @Test
  void eachVersionShowsItsRecordedPhaseAndTheRowsTheStoreHoldsNow() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start();
        VectorStore store = LuceneVectorStore.open(tmp.resolve("store"), 4)) {
      String bootstrap = kafka.bootstrapServers();
      AvroCodec<VersionLifecycle> codec = AvroCodec.of(VersionLifecycle.class);
      kafka.createTopics(
          Map.of("model-lifecycle", 1),
          Map.of("model-lifecycle", Map.of("cleanup.policy", "compact")));
      for (VersionLifecycle r :
          List.of(
              record("v1", LifecyclePhase.BACKFILLING, 0),
              record("v1", LifecyclePhase.FULLY_SERVED, 3),
              record("v2", LifecyclePhase.BACKFILLING, 0))) {
        send(
            bootstrap,
            LifecycleKeys.version("default", r.getVersion().toString()),
            codec.encode(r));
      }
      send(
          bootstrap,
          LifecycleKeys.version("other", "v9"),
          codec.encode(record("v9", LifecyclePhase.SERVING, 7)));
      send(bootstrap, LifecycleKeys.owner("default"), null);
      store.upsert(
          List.of(
              new VectorRow("a", "v1", new float[] {1, 0, 0, 0}, Map.of(), 1),
              new VectorRow("b", "v1", new float[] {0, 1, 0, 0}, Map.of(), 1),
              new VectorRow("c", "v1", new float[] {0, 0, 1, 0}, Map.of(), 1),
              new VectorRow("a", "v2", new float[] {1, 0, 0, 0}, Map.of(), 1)));
      store.cutOver("v1");
      Map<String, Object> client = new HashMap<>();
      client.put("bootstrap.servers", bootstrap);
      try (EmbeddingService service =
              new EmbeddingService(null, "default-int8", ServeOptions.defaults());
          LifecycleFollower lifecycle =
              new LifecycleFollower(client, "model-lifecycle", "default");
          QueryServer server =
              new QueryServer(
                  service, store, null, null, lifecycle, ServeOptions.defaults().withPort(0))) {
        assertTrue(lifecycle.awaitCaughtUp(Duration.ofSeconds(30)));
        String body =
            HttpClient.newHttpClient()
                .send(
                    HttpRequest.newBuilder(
                            URI.create("http://localhost:" + server.port() + "/v1/models"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body();
        Map<String, JsonNode> byId = new HashMap<>();
        for (JsonNode m : JSON.readTree(body).get("data")) {
          byId.put(m.get("id").asText(), m);
        }
        JsonNode v1 = byId.get("v1").get("lifecycle");
        assertEquals("FULLY_SERVED", v1.get("phase").asText(), body);
        assertEquals(3, v1.get("rows").asLong());
        assertEquals("2026-12-07T12:00:31Z", v1.get("cut_over").asText());
        assertTrue(v1.get("drop_due").isNull());
        assertTrue(byId.get("v1").get("status").asText().contains("searched by the store"), body);
        JsonNode v2 = byId.get("v2").get("lifecycle");
        assertEquals("BACKFILLING", v2.get("phase").asText(), body);
        assertEquals(1, v2.get("rows").asLong(), "counted in the store now, not recorded (0)");
        assertTrue(v2.get("backfill_finished").isNull());
        assertTrue(!byId.containsKey("v9"), "another registry's version: " + body);
      }
    }
  }

  private static void send(String bootstrap, String key, byte[] value) throws Exception {
    KafkaRecords.produceRaw(
        bootstrap, "model-lifecycle", key.getBytes(StandardCharsets.UTF_8), value);
  }
}
