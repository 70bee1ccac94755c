package io.twinstream.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.twinstream.encoder.BundleWriter;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.SentenceEncoder;
import io.twinstream.encoder.registry.ModelRegistry;
import io.twinstream.kafka.KafkaModelUpdates;
import io.twinstream.records.ModelStatus;
import io.twinstream.records.ModelUpdate;
import io.twinstream.store.PgliteServer;
import io.twinstream.store.StoreSpec;
import io.twinstream.store.VectorStore;
import io.twinstream.testkit.EmbeddedKafka;
import io.twinstream.testkit.KafkaRecords;
import io.twinstream.testkit.StandaloneCluster;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The version lifecycle against a real standalone Flink session cluster (JobManager and TaskManager
 * processes, Flink's jars only), a broker and PostgreSQL with pgvector (PGlite): {@code twinstream
 * controller --backfill-cluster} in a process of its own, with nobody acting, has the cluster
 * backfill the registry's version, cuts the store over, and when a new version is promoted on
 * {@code model-updates} has the cluster backfill that one too — a job of the uploaded job jar in
 * the TaskManager's slots, not in the controller — cuts over, announces FULLY_SERVED and drops the
 * replaced version after its grace; {@code twinstream serve} then answers a search scored by the
 * new version.
 */
class ClusterLifecycleIT {

  private static final Duration WAIT = Duration.ofMinutes(4);
  private static final String TABLE = "clustered";
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  private static Map<String, String> documents(int n) {
    String[] topics = {
      "a parcel the courier lost on the way to the depot",
      "a refund for a jacket that arrived two sizes too small",
      "the train to the airport running forty minutes late",
      "a recipe for bread with a crisp crust and a soft crumb",
      "the score of last night's football match in the rain"
    };
    Map<String, String> out = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      out.put("doc-" + i, "Message " + i + " is about " + topics[i % topics.length] + ".");
    }
    return out;
  }

  @Test
  void aPromotionIsBackfilledOnTheClusterCutOverAnnouncedAndSearchedWithNobodyActing()
      throws Exception {
    Path jobJar = ImageSourcesTest.backfillImageJobJar();
    Path registryRoot = tmp.resolve("registry");
    ModelRegistry registry = ModelRegistry.open(registryRoot);
    BundleWriter.write(
        ModelBundle.builtin(ModelBundle.DEFAULT_INT8).withVersion("v1", null),
        registryRoot.resolve("v1"));
    registry.setCurrent("v1");
    Map<String, String> settings =
        Map.of(
            "taskmanager.numberOfTaskSlots", "2",
            "taskmanager.memory.process.size", "3g",
            "taskmanager.memory.task.off-heap.size", "1g",
            "taskmanager.memory.managed.fraction", "0.05",
            "jobmanager.memory.process.size", "1024m");
    Map<String, String> docs = documents(400);
    try (EmbeddedKafka kafka = EmbeddedKafka.start();
        PgliteServer pg = PgliteServer.start();
        StandaloneCluster cluster =
            StandaloneCluster.start(tmp.resolve("flink"), settings, List.of(jobJar))) {
      String bootstrap = kafka.bootstrapServers();
      kafka.createTopics(
          Map.of("sentences", 2, "model-updates", 1),
          Map.of(
              "sentences", Map.of("cleanup.policy", "compact"),
              "model-updates", Map.of("cleanup.policy", "compact")));
      KafkaRecords.produceSentences(bootstrap, "sentences", docs);
      cluster.startTaskManager();
      String url = pg.jdbcUrl() + "&user=postgres&password=postgres&prepareThreshold=0";
      String rest = "http://localhost:" + cluster.restPort();
      Path log = tmp.resolve("controller.log");
      Process controller =
          twinstream(
              log,
              "controller",
              "--registry",
              registryRoot.toString(),
              "--bootstrap",
              bootstrap,
              "--store",
              "pgvector",
              "--store-location",
              url,
              "--store-table",
              TABLE,
              "--grace",
              "5s",
              "--parallelism",
              "2",
              "--backfill-cluster",
              rest,
              "--metrics-port",
              "0");
      Process serve = null;
      try (VectorStore store = StoreSpec.pgvector(url, TABLE, 384, "postgres", "postgres").open()) {
        await(
            controller,
            () -> "the store to serve v1: " + text(log) + cluster.logTail(),
            () -> store.servingVersion().orElse("").equals("v1"));
        assertEquals(docs.size(), store.count("v1"));
        assertEquals(
            "FINISHED", jobState(rest, "twinstream-backfill v1 into " + TABLE), "on the cluster");

        BundleWriter.write(
            ModelBundle.builtin(ModelBundle.DEFAULT).withVersion("v2", null),
            registryRoot.resolve("v2"));
        long promoted = System.nanoTime();
        new KafkaModelUpdates(
                registry, "default", Map.of("bootstrap.servers", bootstrap), "model-updates")
            .promote("v2", "a better candidate");
        await(
            controller,
            () -> "the store to serve v2: " + text(log) + cluster.logTail(),
            () -> store.servingVersion().orElse("").equals("v2"));
        System.out.printf(
            "cluster lifecycle: promotion -> serving v2 in %.1f s (%d documents, p2)%n",
            (System.nanoTime() - promoted) / 1e9, docs.size());
        assertEquals(docs.size(), store.count("v2"), "every document once");
        assertEquals(
            "FINISHED", jobState(rest, "twinstream-backfill v2 into " + TABLE), "on the cluster");
        await(
            controller,
            () -> "v1 dropped after its grace: " + text(log),
            () -> store.count("v1") == 0);
        assertEquals(Map.of("v2", (long) docs.size()), store.versions());
        List<ModelUpdate> updates =
            KafkaRecords.readCommitted(bootstrap, "model-updates", ModelUpdate.class);
        assertTrue(
            updates.stream()
                .anyMatch(
                    u ->
                        u.getStatus() == ModelStatus.FULLY_SERVED
                            && u.getVersion().toString().equals("v2")),
            updates.toString());

        Path serveLog = tmp.resolve("serve.log");
        serve =
            twinstream(
                serveLog,
                "serve",
                "--port",
                "0",
                "--registry",
                registryRoot.toString(),
                "--bootstrap",
                bootstrap,
                "--store",
                "pgvector",
                "--store-location",
                url,
                "--store-table",
                TABLE);
        Process server = serve;
        await(server, () -> "serve to start: " + text(serveLog), () -> serveUrl(serveLog) != null);
        String query = "my parcel never arrived, the courier lost it";
        JsonNode answer =
            JSON.readTree(
                post(serveUrl(serveLog) + "/search", "{\"query\": \"" + query + "\", \"k\": 1}"));
        assertEquals("v2", answer.get("model").asText(), answer.toString());
        JsonNode top = answer.get("data").get(0);
        String id = top.get("id").asText();
        assertTrue(docs.get(id).contains("courier"), answer.toString());
        double byV2 = cosine(ModelBundle.DEFAULT, query, docs.get(id));
        double byV1 = cosine(ModelBundle.DEFAULT_INT8, query, docs.get(id));
        double score = top.get("score").asDouble();
        assertTrue(
            Math.abs(score - byV2) < Math.abs(score - byV1) && Math.abs(score - byV2) < 1e-3,
            "scored by v2 (" + byV2 + "), not v1 (" + byV1 + "): " + score);
      } finally {
        if (serve != null) {
          serve.destroy();
          serve.waitFor();
        }
        controller.destroy();
        controller.waitFor();
      }
    }
  }

  /** The cosine of two texts' embeddings by a built-in model. */
  private static double cosine(String model, String a, String b) throws Exception {
    try (SentenceEncoder encoder = SentenceEncoder.open(ModelBundle.builtin(model))) {
      float[][] v = encoder.embed(List.of(a, b));
      double dot = 0;
      double na = 0;
      double nb = 0;
      for (int i = 0; i < v[0].length; i++) {
        dot += v[0][i] * v[1][i];
        na += v[0][i] * v[0][i];
        nb += v[1][i] * v[1][i];
      }
      return dot / Math.sqrt(na * nb);
    }
  }

  /** The state of the cluster's job named {@code name}, from its REST API's job overview. */
  private static String jobState(String rest, String name) throws Exception {
    JsonNode jobs = JSON.readTree(get(rest + "/jobs/overview")).get("jobs");
    for (JsonNode job : jobs) {
      if (job.get("name").asText().equals(name)) {
        return job.get("state").asText();
      }
    }
    return "no job named " + name + " in " + jobs;
  }

  /** {@code java -jar cli/target/twinstream.jar ARGS}, its output in {@code log}. */
  private static Process twinstream(Path log, String... args) throws IOException {
    Path jar = DeployFiles.root().resolve("cli/target/twinstream.jar");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx1g");
    command.add("-jar");
    command.add(jar.toString());
    command.addAll(List.of(args));
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .start();
  }

  private static final Pattern URL = Pattern.compile("(?m)^url=(\\S+)$");

  private static String serveUrl(Path log) {
    Matcher m = URL.matcher(text(log));
    return m.find() ? m.group(1) : null;
  }

  private static String text(Path log) {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }

  private static String get(String url) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  private static String post(String url, String body) throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(url))
                    .timeout(Duration.ofMinutes(1))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return r.body();
  }

  /** Waits for {@code done} while {@code process} lives; {@code what} is read on failure. */
  private static void await(Process process, Supplier<String> what, BooleanSupplier done) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!done.getAsBoolean()) {
      if (!process.isAlive()) {
        throw new AssertionError("the process exited (" + process.exitValue() + "): " + what.get());
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what.get());
      }
      long pause = System.nanoTime() + 100_000_000L;
      while (System.nanoTime() < pause) {
        Thread.onSpinWait();
      }
    }
  }
}
