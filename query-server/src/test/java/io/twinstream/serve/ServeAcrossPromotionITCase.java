package io.twinstream.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.SentenceEncoder;
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
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A promotion and a store cut-over while eight clients embed and search: no request fails, every
 * embedding equals what the version it names computes, and every search's hits are scored with the
 * query embedded by the version it searched — never one version's query against the other's
 * documents.
 */
class ServeAcrossPromotionITCase {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int DOCUMENTS = 60;
  private static final List<String> QUERIES =
      List.of(
          "where is my parcel", "refund my order", "the app crashes at login", "change address");

  @TempDir Path tmp;

  private record Reply(String kind, String text, int status, JsonNode body) {}

  @Test
  void noRequestFailsAndNoSearchMixesVersionsAcrossAPromotionAndCutOver() throws Exception {
    ModelRegistry registry = ModelRegistry.open(tmp.resolve("registry"));
    registry.publish(ModelBundle.builtin(ModelBundle.DEFAULT_INT8).withVersion("v1", null));
    registry.publish(ModelBundle.builtin(ModelBundle.DEFAULT).withVersion("v2", null));
    registry.setCurrent("v1");
    List<String> docs = new ArrayList<>();
    for (int i = 0; i < DOCUMENTS; i++) {
      docs.add("Document " + i + ": " + QUERIES.get(i % QUERIES.size()) + " case number " + i);
    }
    Map<String, Map<String, float[]>> queryVectors = new HashMap<>();
    Map<String, List<float[]>> docVectors = new HashMap<>();
    for (String v : List.of("v1", "v2")) {
      try (SentenceEncoder enc = SentenceEncoder.open(registry.load(v))) {
        Map<String, float[]> q = new HashMap<>();
        for (String t : QUERIES) {
          q.put(t, enc.encode(t).vector());
        }
        queryVectors.put(v, q);
        docVectors.put(v, enc.encode(docs).stream().map(e -> e.vector()).toList());
      }
    }
    try (EmbeddedKafka kafka = EmbeddedKafka.start();
        LuceneVectorStore store = LuceneVectorStore.open(tmp.resolve("store"), 384)) {
      kafka.createTopics(Map.of("model-updates", 1), Map.of("model-updates", Topics.COMPACTED));
      Map<String, Object> client = Map.of("bootstrap.servers", kafka.bootstrapServers());
      KafkaModelUpdates updates =
          new KafkaModelUpdates(registry, "default", client, "model-updates");
      store.upsert(rows("v1", docVectors.get("v1")));
      store.cutOver("v1");
      ServeOptions options = ServeOptions.defaults().withPort(0);
      try (EmbeddingService service = new EmbeddingService(registry, "registry", options);
          ModelUpdatesFollower follower =
              new ModelUpdatesFollower(client, "model-updates", "default", service::onUpdate);
          QueryServer server = new QueryServer(service, store, registry, follower, options)) {
        String base = "http://localhost:" + server.port();
        HttpClient http = HttpClient.newHttpClient();
        List<Reply> replies = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean running = new AtomicBoolean(true);
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < 8; c++) {
          int id = c;
          Thread t =
              new Thread(
                  () -> {
                    for (int i = 0; running.get(); i++) {
                      String text = QUERIES.get((id + i) % QUERIES.size());
                      boolean search = (id + i) % 2 == 0;
                      String body =
                          search
                              ? "{\"query\": \"" + text + "\", \"k\": 3}"
                              : "{\"input\": [\"" + text + "\"]}";
                      try {
                        HttpResponse<String> r =
                            http.send(
                                HttpRequest.newBuilder(
                                        URI.create(
                                            base + (search ? "/v1/search" : "/v1/embeddings")))
                                    .POST(HttpRequest.BodyPublishers.ofString(body))
                                    .build(),
                                HttpResponse.BodyHandlers.ofString());
                        replies.add(
                            new Reply(
                                search ? "search" : "embed",
                                text,
                                r.statusCode(),
                                JSON.readTree(r.body())));
                      } catch (Exception e) {
                        replies.add(new Reply("error", e.toString(), -1, null));
                      }
                    }
                  });
          t.start();
          clients.add(t);
        }
        awaitReplies(replies, 100);
        updates.send(new ModelUpdates(registry).promoted("v2", "test promotion"));
        awaitReplies(replies, replies.size() + 100);
        store.upsert(rows("v2", docVectors.get("v2"))); // the backfill of v2
        store.cutOver("v2");
        updates.send(new ModelUpdates(registry).fullyServed(registry.load("v2"), Map.of(), "test"));
        awaitReplies(replies, replies.size() + 200);
        running.set(false);
        for (Thread t : clients) {
          t.join(60_000);
        }
        Map<String, Integer> versions = new ConcurrentHashMap<>();
        for (Reply r : List.copyOf(replies)) {
          assertEquals(200, r.status(), r.kind() + " " + r.text() + ": " + r.body());
          String v = r.body().get("model").asText();
          versions.merge(r.kind() + " " + v, 1, Integer::sum);
          float[] q = queryVectors.get(v).get(r.text());
          if (r.kind().equals("embed")) {
            JsonNode e = r.body().get("data").get(0).get("embedding");
            float[] got = new float[e.size()];
            for (int d = 0; d < got.length; d++) {
              got[d] = (float) e.get(d).asDouble();
            }
            assertArrayEquals(q, got, 1e-4f, "the vector of " + v);
          } else {
            double best = Double.NEGATIVE_INFINITY;
            for (float[] doc : docVectors.get(v)) {
              best = Math.max(best, dot(q, doc));
            }
            double top = r.body().get("data").get(0).get("score").asDouble();
            assertEquals(best, top, 1e-4, "the search of " + v + " scored with a query of " + v);
          }
        }
        assertTrue(
            versions.keySet().containsAll(List.of("search v1", "search v2")), versions.toString());
        assertTrue(
            versions.keySet().containsAll(List.of("embed v1", "embed v2")), versions.toString());
      }
    }
  }

  private static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  private static List<VectorRow> rows(String version, List<float[]> vectors) {
    List<VectorRow> rows = new ArrayList<>();
    for (int i = 0; i < vectors.size(); i++) {
      rows.add(new VectorRow("doc-" + i, version, vectors.get(i), Map.of(), 1));
    }
    return rows;
  }

  private static void awaitReplies(List<Reply> replies, int n) {
    long deadline = System.nanoTime() + 120_000_000_000L;
    while (replies.size() < n) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("only " + replies.size() + " replies");
      }
      Thread.onSpinWait();
    }
  }
}
