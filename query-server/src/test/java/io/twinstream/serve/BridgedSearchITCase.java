package io.twinstream.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.SentenceEncoder;
import io.twinstream.encoder.bridge.BridgeFitter;
import io.twinstream.encoder.bridge.BridgeMethod;
import io.twinstream.encoder.bridge.QueryBridge;
import io.twinstream.encoder.registry.ModelRegistry;
import io.twinstream.encoder.registry.ModelUpdates;
import io.twinstream.kafka.KafkaModelUpdates;
import io.twinstream.kafka.Topics;
import io.twinstream.store.LuceneVectorStore;
import io.twinstream.store.VectorRow;
import io.twinstream.testkit.EmbeddedKafka;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A promoted version whose bundle has a query bridge serves searches before its backfill: the query
 * is embedded by the new version, mapped into the store's version's space, and searched there; the
 * answer says so. A bridge that does not fit is refused and searches go on with the store's
 * version; with the bridge off, they always do.
 */
class BridgedSearchITCase {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String QUERY = "my parcel never arrived";

  @TempDir Path tmp;

  private List<String> docs() {
    List<String> docs = new ArrayList<>();
    String[] topics = {
      "a parcel lost in transit", "a refund for a returned order", "the app crashes at login",
      "changing the delivery address", "a card charged twice", "a password reset email"
    };
    for (int i = 0; i < 60; i++) {
      docs.add("Ticket " + i + ": " + topics[i % topics.length] + ", reported on day " + i);
    }
    return docs;
  }

  @Test
  void aPromotedVersionsBridgeServesSearchesUntilTheCutOver() throws Exception {
    ModelRegistry registry = ModelRegistry.open(tmp.resolve("registry"));
    registry.publish(ModelBundle.builtin(ModelBundle.DEFAULT_INT8).withVersion("v1", null));
    List<String> docs = docs();
    float[][] v1Docs;
    float[] v1Query;
    try (SentenceEncoder enc = SentenceEncoder.open(registry.load("v1"))) {
      v1Docs = enc.encode(docs).stream().map(e -> e.vector()).toArray(float[][]::new);
      v1Query = enc.encode(QUERY).vector();
    }
    ModelBundle fp32 = ModelBundle.builtin(ModelBundle.DEFAULT);
    float[][] v2Docs;
    float[] v2Query;
    try (SentenceEncoder enc = SentenceEncoder.open(fp32)) {
      v2Docs = enc.encode(docs).stream().map(e -> e.vector()).toArray(float[][]::new);
      v2Query = enc.encode(QUERY).vector();
    }
    QueryBridge bridge = BridgeFitter.of(BridgeMethod.PROCRUSTES).fit("v2", "v1", v2Docs, v1Docs);
    registry.publish(
        fp32.withVersion("v2", "v1").withFile(QueryBridge.FILE_NAME, bridge.toBytes()));
    registry.setCurrent("v1");

    try (EmbeddedKafka kafka = EmbeddedKafka.start();
        LuceneVectorStore store = LuceneVectorStore.open(tmp.resolve("store"), 384)) {
      kafka.createTopics(Map.of("model-updates", 1), Map.of("model-updates", Topics.COMPACTED));
      Map<String, Object> client = Map.of("bootstrap.servers", kafka.bootstrapServers());
      KafkaModelUpdates updates =
          new KafkaModelUpdates(registry, "default", client, "model-updates");
      store.upsert(rows("v1", v1Docs));
      store.cutOver("v1");
      ServeOptions options = ServeOptions.defaults().withPort(0);
      try (EmbeddingService service = new EmbeddingService(registry, "registry", options);
          ModelUpdatesFollower follower =
              new ModelUpdatesFollower(client, "model-updates", "default", service::onUpdate);
          QueryServer server = new QueryServer(service, store, registry, follower, options)) {
        String base = "http://localhost:" + server.port();
        JsonNode before = search(base);
        assertEquals("v1", before.get("model").asText());
        assertFalse(before.has("query_model"));
        assertEquals(best(v1Query, v1Docs), top(before), 1e-4);

        updates.send(new ModelUpdates(registry).promoted("v2", "test promotion"));
        JsonNode bridged = awaitSearch(base, r -> r.has("query_model"));
        assertEquals("v1", bridged.get("model").asText(), "the documents are still v1's");
        assertEquals("v2", bridged.get("query_model").asText());
        assertEquals("procrustes", bridged.get("bridge").asText());
        assertEquals(best(bridge.apply(v2Query), v1Docs), top(bridged), 1e-4);

        JsonNode models = get(base, "/v1/models");
        JsonNode v2 = model(models, "v2");
        assertTrue(v2.get("status").asText().contains("bridged"), v2.toString());
        assertEquals("v1", v2.get("bridge").get("to").asText());
        assertEquals(54, v2.get("bridge").get("texts").asInt());
        String metrics = text(base, "/metrics");
        assertTrue(metrics.contains("twinstream_serve_bridge_cosine{from=\"v2\",to=\"v1\"}"));
        assertFalse(metrics.contains("twinstream_serve_bridged_searches_total 0\n"), metrics);

        store.upsert(rows("v2", v2Docs)); // the backfill of v2, then its cut-over
        store.cutOver("v2");
        JsonNode after = search(base);
        assertEquals("v2", after.get("model").asText());
        assertFalse(after.has("query_model"));
        assertEquals(best(v2Query, v2Docs), top(after), 1e-4);
      }
    }
  }

  @Test
  void aBridgeThatDoesNotFitIsRefusedAndSearchesKeepTheStoresVersion() throws Exception {
    ModelRegistry registry = ModelRegistry.open(tmp.resolve("registry"));
    registry.publish(ModelBundle.builtin(ModelBundle.DEFAULT_INT8).withVersion("v1", null));
    Random r = new Random(1);
    float[][] small = new float[40][8];
    for (float[] v : small) {
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) r.nextGaussian();
      }
    }
    QueryBridge eightDimensions =
        BridgeFitter.of(BridgeMethod.PROCRUSTES).fit("v2", "v1", small, small);
    registry.publish(
        ModelBundle.builtin(ModelBundle.DEFAULT)
            .withVersion("v2", "v1")
            .withFile(QueryBridge.FILE_NAME, eightDimensions.toBytes()));
    registry.publish(ModelBundle.builtin(ModelBundle.DEFAULT).withVersion("v3", "v1"));
    registry.setCurrent("v1");
    float[][] v1Docs;
    try (SentenceEncoder enc = SentenceEncoder.open(registry.load("v1"))) {
      v1Docs = enc.encode(docs()).stream().map(e -> e.vector()).toArray(float[][]::new);
    }
    try (EmbeddedKafka kafka = EmbeddedKafka.start();
        LuceneVectorStore store = LuceneVectorStore.open(tmp.resolve("store"), 384)) {
      kafka.createTopics(Map.of("model-updates", 1), Map.of("model-updates", Topics.COMPACTED));
      Map<String, Object> client = Map.of("bootstrap.servers", kafka.bootstrapServers());
      KafkaModelUpdates updates =
          new KafkaModelUpdates(registry, "default", client, "model-updates");
      store.upsert(rows("v1", v1Docs));
      store.cutOver("v1");
      ServeOptions options = ServeOptions.defaults().withPort(0);
      try (EmbeddingService service = new EmbeddingService(registry, "registry", options);
          ModelUpdatesFollower follower =
              new ModelUpdatesFollower(client, "model-updates", "default", service::onUpdate);
          QueryServer server = new QueryServer(service, store, registry, follower, options)) {
        String base = "http://localhost:" + server.port();
        updates.send(new ModelUpdates(registry).promoted("v2", "test promotion"));
        awaitMetric(base, "twinstream_serve_bridge_refusals_total 1");
        JsonNode answer = search(base);
        assertEquals("v1", answer.get("model").asText());
        assertFalse(answer.has("query_model"), answer.toString());
        // A version without a bridge: the store's version embeds queries, nothing refused.
        updates.send(new ModelUpdates(registry).promoted("v3", "test promotion"));
        awaitModels(base, m -> model(m, "v3").get("status").asText().startsWith("serving"));
        JsonNode later = search(base);
        assertEquals("v1", later.get("model").asText());
        assertFalse(later.has("query_model"), later.toString());
        assertTrue(text(base, "/metrics").contains("twinstream_serve_bridge_refusals_total 1\n"));
      }
      // The bridge off: a fresh server never maps queries, however promoted versions are.
      ServeOptions off = ServeOptions.defaults().withPort(0).withBridge(false);
      try (EmbeddingService service = new EmbeddingService(registry, "registry", off);
          QueryServer server = new QueryServer(service, store, registry, null, off)) {
        JsonNode answer = search("http://localhost:" + server.port());
        assertFalse(answer.has("query_model"), answer.toString());
      }
    }
  }

  private static JsonNode model(JsonNode models, String version) {
    for (JsonNode m : models.get("data")) {
      if (m.get("id").asText().equals(version)) {
        return m;
      }
    }
    throw new AssertionError(version + " not in " + models);
  }

  private static double top(JsonNode answer) {
    return answer.get("data").get(0).get("score").asDouble();
  }

  private static double best(float[] q, float[][] docs) {
    double best = Double.NEGATIVE_INFINITY;
    for (float[] d : docs) {
      double s = 0;
      for (int i = 0; i < q.length; i++) {
        s += q[i] * d[i];
      }
      best = Math.max(best, s);
    }
    return best;
  }

  private static JsonNode awaitSearch(String base, Predicate<JsonNode> done) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      JsonNode r = search(base);
      if (done.test(r)) {
        return r;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no such answer in 60 s; the last: " + r);
      }
    }
  }

  private static void awaitModels(String base, Predicate<JsonNode> done) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!done.test(get(base, "/v1/models"))) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not in 60 s: " + get(base, "/v1/models"));
      }
    }
  }

  private static void awaitMetric(String base, String line) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!text(base, "/metrics").contains(line + "\n")) {
      search(base); // a search asks for the newest version's bridge
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no '" + line + "' in 60 s: " + text(base, "/metrics"));
      }
    }
  }

  private static JsonNode search(String base) throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(base + "/v1/search"))
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            "{\"query\": \"" + QUERY + "\", \"k\": 3}"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return JSON.readTree(r.body());
  }

  private static JsonNode get(String base, String path) throws Exception {
    return JSON.readTree(text(base, path));
  }

  private static String text(String base, String path) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create(base + path)).GET().build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  private static List<VectorRow> rows(String version, float[][] vectors) {
    List<VectorRow> rows = new ArrayList<>();
    for (int i = 0; i < vectors.length; i++) {
      rows.add(new VectorRow("doc-" + i, version, vectors[i], Map.of(), 1));
    }
    return rows;
  }
}
