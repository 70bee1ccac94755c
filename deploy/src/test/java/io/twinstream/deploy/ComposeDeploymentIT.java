package io.twinstream.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.store.DockerEngine;
import io.twinstream.store.StoreSpec;
import io.twinstream.store.VectorStore;
import io.twinstream.testkit.KafkaRecords;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * docker-compose.yml, run for real: {@code up --build} on a Docker engine (in CI the stand-ins of
 * the official images, deploy/containers), then, with nobody acting on the deployment: documents
 * produced to {@code sentences} become vectors in PostgreSQL, the controller makes the store serve
 * the registry's version and {@code /v1/search} answers with it; every Prometheus target is up; a
 * version promoted on {@code model-updates} is backfilled by the backfill cluster, cut over and
 * announced, {@code /v1/search} and {@code /v1/models} answer with it, and the store holds every
 * document once per version. Torn down (volumes included) at the end. Skipped without an engine,
 * except in CI ({@link DockerEngine}).
 */
@ExtendWith(DockerEngine.class)
class ComposeDeploymentIT {

  private static final String PROJECT = "twinstream-e2e";
  private static final Path FILE = DeployFiles.root().resolve("docker-compose.yml");
  private static final Map<String, String> ENV = Map.of("TWINSTREAM_STORE_PASSWORD", "e2e-secret");
  private static final int DOCUMENTS = 200;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private static Compose.Result compose(Duration timeout, String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of("-p", PROJECT));
    all.addAll(List.of(args));
    return Compose.run(FILE, ENV, timeout, all);
  }

  @BeforeAll
  static void up() throws Exception {
    compose(Duration.ofMinutes(3), "down", "-v", "--remove-orphans"); // a previous run's leftovers
    Compose.Result up = compose(Duration.ofMinutes(15), "up", "-d", "--build");
    assertEquals(0, up.exit(), up.output());
  }

  @AfterAll
  static void down() throws Exception {
    if (Compose.tool().isPresent()) {
      Compose.Result logs = compose(Duration.ofMinutes(1), "logs", "--no-color", "--tail", "30");
      System.out.println(logs.output());
      compose(Duration.ofMinutes(3), "down", "-v", "--remove-orphans");
    }
  }

  private static HttpResponse<String> http(String url, String body) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20));
    if (body != null) {
      request.POST(HttpRequest.BodyPublishers.ofString(body));
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The JSON at {@code url}, or null while the service does not answer 200. */
  private static JsonNode json(String url, String body) {
    try {
      HttpResponse<String> r = http(url, body);
      return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
    } catch (Exception e) {
      return null;
    }
  }

  private static void await(
      String what, Duration timeout, Supplier<String> state, BooleanSupplier done)
      throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    // The services answer over HTTP only: the check runs once a second on a delayed executor and
    // the test waits on its result (no sleeping thread, no spinning core beside the deployment).
    Executor everySecond = CompletableFuture.delayedExecutor(1, TimeUnit.SECONDS);
    while (!CompletableFuture.supplyAsync(done::getAsBoolean, everySecond).get()) {
      if (System.nanoTime() > deadline) {
        Compose.Result ps = compose(Duration.ofMinutes(1), "ps");
        throw new AssertionError(
            "timed out after "
                + timeout
                + " waiting for "
                + what
                + "; now: "
                + state.get()
                + "\n"
                + ps.output());
      }
    }
  }

  private static String lifecycle() {
    JsonNode l = json("http://localhost:9405/v1/lifecycle", null);
    return l == null ? "(the controller does not answer)" : l.toString();
  }

  private static boolean serves(String version, long rows) {
    JsonNode l = json("http://localhost:9405/v1/lifecycle", null);
    if (l == null || !version.equals(l.path("serving").asText())) {
      return false;
    }
    for (JsonNode v : l.path("versions")) {
      if (v.path("version").asText().equals(version)) {
        return v.path("phase").asText().equals("FULLY_SERVED") && v.path("rows").asLong() == rows;
      }
    }
    return false;
  }

  private static String searchedWith() {
    JsonNode r =
        json(
            "http://localhost:8080/v1/search",
            "{\"query\": \"a parcel arrived damaged\", \"k\": 5}");
    return r == null || r.path("data").size() != 5 ? null : r.path("model").asText();
  }

  @Test
  void theLoopClosesThroughTheDeploymentWithNobodyActing() throws Exception {
    await(
        "the learning job to run on the application cluster",
        Duration.ofMinutes(5),
        () -> String.valueOf(json("http://localhost:8081/jobs/overview", null)),
        () -> {
          JsonNode jobs = json("http://localhost:8081/jobs/overview", null);
          return jobs != null && jobs.path("jobs").toString().contains("\"state\":\"RUNNING\"");
        });

    Map<String, String> documents = new LinkedHashMap<>();
    String[] topics = {
      "a parcel arrived damaged", "a refund for a late order", "the login page fails"
    };
    for (int i = 0; i < DOCUMENTS; i++) {
      documents.put(
          "doc-" + i,
          "Report " + i + ": " + topics[i % topics.length] + ", case " + (i * 7919 % 1000));
    }
    KafkaRecords.produceSentences("localhost:29092", "sentences", documents);
    String first = ModelBundle.builtin(ModelBundle.DEFAULT).version();
    await(
        "the store to serve " + first + " with every document",
        Duration.ofMinutes(5),
        ComposeDeploymentIT::lifecycle,
        () -> serves(first, DOCUMENTS));
    await(
        "/v1/search to answer with " + first,
        Duration.ofMinutes(1),
        ComposeDeploymentIT::searchedWith,
        () -> first.equals(searchedWith()));

    await(
        "every Prometheus target to be up",
        Duration.ofMinutes(2),
        () -> String.valueOf(json("http://localhost:9090/api/v1/targets", null)),
        () -> {
          JsonNode t = json("http://localhost:9090/api/v1/targets", null);
          if (t == null || t.path("data").path("activeTargets").size() != 7) {
            return false;
          }
          for (JsonNode target : t.path("data").path("activeTargets")) {
            if (!target.path("health").asText().equals("up")) {
              return false;
            }
          }
          return true;
        });

    Compose.Result promoted =
        compose(
            Duration.ofMinutes(3),
            "run",
            "--rm",
            "--no-deps",
            "--entrypoint",
            "/opt/twinstream/twinstream",
            "model-init",
            "model",
            "publish",
            "default",
            "--registry",
            "/registry",
            "--version",
            "v2",
            "--promote",
            "--bootstrap",
            "kafka:9092");
    assertEquals(0, promoted.exit(), promoted.output());
    await(
        "the controller to backfill v2 on the backfill cluster and cut the store over",
        Duration.ofMinutes(5),
        ComposeDeploymentIT::lifecycle,
        () -> serves("v2", DOCUMENTS));
    await(
        "/v1/search to answer with v2",
        Duration.ofMinutes(1),
        ComposeDeploymentIT::searchedWith,
        () -> "v2".equals(searchedWith()));
    JsonNode backfills = json("http://localhost:8082/jobs/overview", null);
    assertTrue(
        backfills != null && backfills.toString().contains("twinstream-backfill v2"),
        "the backfill ran on the backfill cluster: " + backfills);
    JsonNode models = json("http://localhost:8080/v1/models", null);
    assertTrue(
        models != null && models.toString().contains("FULLY_SERVED"), String.valueOf(models));

    try (VectorStore store =
        StoreSpec.pgvector(
                "jdbc:postgresql://localhost:5432/twinstream",
                "embeddings",
                384,
                "twinstream",
                "e2e-secret")
            .open()) {
      assertEquals(Map.of(first, (long) DOCUMENTS, "v2", (long) DOCUMENTS), store.versions());
      assertEquals("v2", store.servingVersion().orElseThrow());
    }
  }
}
