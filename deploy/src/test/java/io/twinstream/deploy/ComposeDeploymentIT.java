package io.twinstream.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.twinstream.cli.demo.HttpSearches;
import io.twinstream.cli.demo.SimulatedUsers;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.records.Interaction;
import io.twinstream.records.Sentence;
import io.twinstream.schemas.AvroCodec;
import io.twinstream.store.DockerEngine;
import io.twinstream.testkit.ClickModel;
import io.twinstream.testkit.KafkaRecords;
import io.twinstream.trainer.task.DomainTask;
import io.twinstream.trainer.task.RetrievalTask;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * docker-compose.yml, run for real: {@code up --build} on a Docker engine (in CI the stand-ins of
 * the official images, deploy/containers), every service under its memory limit, and then, with
 * nobody acting on the deployment but the users and the faults:
 *
 * <ol>
 *   <li>documents streamed to {@code sentences} while the TaskManager is killed, Kafka restarted,
 *       PostgreSQL stopped for 20 s and the joiner, the query server and the controller restarted
 *       become exactly one vector each in PostgreSQL, and {@code /v1/search} answers;
 *   <li>Prometheus scrapes every target;
 *   <li>simulated users search through {@code /v1/search} and click; the joiner turns their
 *       impressions and clicks into pairs, the learning job trains a round on the Flink cluster,
 *       its gate promotes the candidate, and the controller backfills it on the backfill cluster —
 *       through the same faults and a killed backfill TaskManager — cuts over and announces it;
 *       searches meanwhile never go back to an older version;
 *   <li>a version published by hand with the CLI image under its memory limit is served too;
 *   <li>a JobManager lost without high availability: what it costs, measured;
 *   <li>no container was killed for memory, and each one's peak is printed beside its limit.
 * </ol>
 *
 * Torn down (volumes included) at the end. Skipped without an engine, except in CI ({@link
 * DockerEngine}). The test's own settings, in an override file beside the project's: rounds every
 * {@value #EVERY_PAIRS} pairs with the generated task's training settings (the demo's).
 */
@ExtendWith(DockerEngine.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ComposeDeploymentIT {

  private static final String PROJECT = "twinstream-e2e";
  private static final Path FILE = DeployFiles.root().resolve("docker-compose.yml");
  private static final Map<String, String> ENV = Map.of("TWINSTREAM_STORE_PASSWORD", "e2e-secret");
  private static final long EVERY_PAIRS = 300;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static String first;

  /** The generated task of the demo: 240 documents, queries with their relevant documents. */
  private static final RetrievalTask TASK = DomainTask.generate(24, 10, 2, 42);

  private static final int DOCUMENTS = TASK.corpus().size();

  private static Path override;
  private static Path eval;
  private static ContainerMemory memory;
  private static Searcher searcher;
  private static String trained;

  private static Compose.Result compose(Duration timeout, String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of("-p", PROJECT));
    all.addAll(List.of(args));
    return Compose.run(List.of(FILE, override), ENV, timeout, all);
  }

  private static void composeOk(Duration timeout, String... args) throws Exception {
    Compose.Result r = compose(timeout, args);
    assertEquals(0, r.exit(), String.join(" ", args) + ": " + r.output());
  }

  /**
   * The job's arguments as the project's compose file gives them, and the test's: rounds every
   * {@value #EVERY_PAIRS} pairs, trained as the demo trains the generated tasks (their made-up
   * words only the embeddings learn: no frozen layers, learning rate 1e-4), gated on a fixed
   * evaluation set as well as on held-out feedback — the task's dev queries, mounted read-only into
   * both Flink containers. Held-out feedback alone is a few dozen queries after one round: too few
   * for the gate to call any candidate better (seen here: "no change" on 17 queries).
   */
  private static Path writeOverride(Path eval) throws Exception {
    List<String> command =
        new ArrayList<>(
            DeployFiles.strings(
                DeployFiles.compose().path("services").path("jobmanager").path("command")));
    command.addAll(
        List.of(
            "trainer.every-pairs=" + EVERY_PAIRS,
            "trainer.frozen-layers=0",
            "trainer.learning-rate=1e-4",
            "trainer.eval.corpus=/eval/corpus.jsonl",
            "trainer.eval.queries=/eval/queries.jsonl",
            "trainer.eval.qrels=/eval/qrels.tsv"));
    List<String> volumes = List.of(eval.toAbsolutePath() + ":/eval:ro");
    Path file = Files.createTempFile("compose-e2e-", ".yml");
    // JSON is YAML: the job manager's command replaced, a volume added to both Flink containers.
    Files.writeString(
        file,
        JSON.writeValueAsString(
            Map.of(
                "services",
                Map.of(
                    "jobmanager",
                    Map.of("command", command, "volumes", volumes),
                    "taskmanager",
                    Map.of("volumes", volumes)))));
    return file;
  }

  /** The task's dev queries in the BEIR layout, readable by the containers' flink user. */
  private static Path writeEvaluationSet() throws Exception {
    Path dir = Files.createTempDirectory("compose-e2e-eval");
    TASK.writeBeir(dir, TASK.split(0.2, 42).dev());
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    try (var files = Files.list(dir)) {
      for (Path f : files.toList()) {
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
      }
    }
    return dir;
  }

  @BeforeAll
  static void up() throws Exception {
    first = ModelBundle.builtin(ModelBundle.DEFAULT).version();
    eval = writeEvaluationSet();
    override = writeOverride(eval);
    compose(Duration.ofMinutes(3), "down", "-v", "--remove-orphans"); // a previous run's leftovers
    memory = new ContainerMemory(PROJECT, Duration.ofSeconds(3));
    // Build first: with two files, compose 1.29's `up --build` may reach a service that only names
    // an image another service builds (the joiner, twinstream:0.1.0) before that build, and try to
    // pull it (seen in CI: no registry answers). `build` then `up` has no such order.
    composeOk(Duration.ofMinutes(15), "build");
    composeOk(Duration.ofMinutes(10), "up", "-d");
    searcher = new Searcher();
  }

  @AfterAll
  static void down() throws Exception {
    if (searcher != null) {
      searcher.close();
    }
    if (memory != null) {
      memory.close();
    }
    if (Compose.tool().isPresent() && override != null) {
      Compose.Result logs = compose(Duration.ofMinutes(1), "logs", "--no-color", "--tail", "40");
      System.out.println(logs.output());
      compose(Duration.ofMinutes(3), "down", "-v", "--remove-orphans");
      Files.deleteIfExists(override);
    }
  }

  // ---- HTTP ----

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

  /** A counter of a Prometheus text exposition, or -1 while it cannot be read. */
  private static double metric(String url, String name) {
    try {
      HttpResponse<String> r = http(url, null);
      for (String line : r.body().split("\n")) {
        if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
          return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
    } catch (Exception e) {
      // not yet
    }
    return -1;
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

  /** Waits {@code pause} without sleeping on the test thread. */
  private static void pause(Duration pause) throws Exception {
    CompletableFuture.runAsync(
            () -> {}, CompletableFuture.delayedExecutor(pause.toMillis(), TimeUnit.MILLISECONDS))
        .get();
  }

  private static String jobs(int port) {
    return String.valueOf(json("http://localhost:" + port + "/jobs/overview", null));
  }

  /** The learning job's id while it is RUNNING with every task running, else null. */
  private static String runningJob() {
    JsonNode jobs = json("http://localhost:8081/jobs/overview", null);
    if (jobs != null) {
      for (JsonNode job : jobs.path("jobs")) {
        JsonNode tasks = job.path("tasks");
        if (job.path("state").asText().equals("RUNNING")
            && tasks.path("running").asInt() == tasks.path("total").asInt()
            && tasks.path("total").asInt() > 0) {
          return job.path("jid").asText();
        }
      }
    }
    return null;
  }

  private static boolean jobRunning() {
    return runningJob() != null;
  }

  /** How often the learning job has restarted (Flink's numRestarts), or -1 while unknown. */
  private static long restarts() {
    JsonNode jobs = json("http://localhost:8081/jobs/overview", null);
    if (jobs == null || jobs.path("jobs").isEmpty()) {
      return -1;
    }
    String id = jobs.path("jobs").get(0).path("jid").asText();
    JsonNode m = json("http://localhost:8081/jobs/" + id + "/metrics?get=numRestarts", null);
    return m == null || m.isEmpty() ? -1 : m.get(0).path("value").asLong();
  }

  private static void awaitJobRunning(String after) throws Exception {
    await(
        "the learning job to run every task again after " + after,
        Duration.ofMinutes(4),
        () -> jobs(8081),
        ComposeDeploymentIT::jobRunning);
  }

  private static String lifecycle() {
    JsonNode l = json("http://localhost:9405/v1/lifecycle", null);
    return l == null ? "(the controller does not answer)" : l.toString();
  }

  /** The lifecycle entry of {@code version}, or a missing node. */
  private static JsonNode phaseOf(String version) {
    JsonNode l = json("http://localhost:9405/v1/lifecycle", null);
    if (l != null) {
      for (JsonNode v : l.path("versions")) {
        if (v.path("version").asText().equals(version)) {
          return v;
        }
      }
    }
    return JSON.missingNode();
  }

  private static boolean serves(String version, long rows) {
    JsonNode l = json("http://localhost:9405/v1/lifecycle", null);
    if (l == null || !version.equals(l.path("serving").asText())) {
      return false;
    }
    JsonNode v = phaseOf(version);
    return v.path("phase").asText().equals("FULLY_SERVED") && v.path("rows").asLong() == rows;
  }

  /** The version {@code /v1/search} answers with, or null while it does not answer fully. */
  private static String searchedWith() {
    JsonNode r =
        json("http://localhost:8080/v1/search", "{\"query\": \"the service fails\", \"k\": 5}");
    return r == null || r.path("data").size() != 5 ? null : r.path("model").asText();
  }

  /** Rows per version in PostgreSQL, and any (id, version) stored more than once. */
  private record StoreCounts(Map<String, Long> rows, Map<String, Long> distinct, long duplicates) {}

  private static StoreCounts storeCounts() throws Exception {
    Map<String, Long> rows = new TreeMap<>();
    Map<String, Long> distinct = new TreeMap<>();
    long duplicates = 0;
    try (Connection c =
            DriverManager.getConnection(
                "jdbc:postgresql://localhost:5432/twinstream", "twinstream", "e2e-secret");
        ResultSet r =
            c.createStatement()
                .executeQuery(
                    "SELECT model_version, count(*), count(DISTINCT id) FROM embeddings"
                        + " GROUP BY model_version")) {
      while (r.next()) {
        rows.put(r.getString(1), r.getLong(2));
        distinct.put(r.getString(1), r.getLong(3));
        duplicates += r.getLong(2) - r.getLong(3);
      }
    }
    return new StoreCounts(rows, distinct, duplicates);
  }

  // ---- faults ----

  /** Kills {@code service} (SIGKILL, as a crash) and starts it again, as its orchestrator would. */
  private static void crash(String service) throws Exception {
    composeOk(Duration.ofMinutes(1), "kill", service);
    composeOk(Duration.ofMinutes(2), "start", service);
  }

  private static void stopFor(String service, Duration outage) throws Exception {
    composeOk(Duration.ofMinutes(1), "stop", service);
    pause(outage);
    composeOk(Duration.ofMinutes(2), "start", service);
  }

  /**
   * The faults of the issue, one after another, each recovered from before the next: a killed
   * TaskManager, Kafka restarted, PostgreSQL stopped for 20 s, the joiner, the query server and the
   * controller restarted. Returns how long each took until the job ran again, for the record.
   */
  private static Map<String, Duration> faults(String during) throws Exception {
    Map<String, Duration> took = new LinkedHashMap<>();
    long t = System.nanoTime();
    long restartsBefore = restarts();
    crash("taskmanager");
    await(
        "the learning job to restart after its TaskManager was killed " + during,
        Duration.ofMinutes(3),
        () -> restarts() + " restarts, " + jobs(8081),
        () -> restarts() > restartsBefore && jobRunning());
    took.put("TaskManager killed", Duration.ofNanos(System.nanoTime() - t));
    t = System.nanoTime();
    composeOk(Duration.ofMinutes(2), "restart", "kafka");
    awaitJobRunning("a Kafka restart " + during);
    took.put("Kafka restarted", Duration.ofNanos(System.nanoTime() - t));
    t = System.nanoTime();
    stopFor("postgres", Duration.ofSeconds(20));
    awaitJobRunning("PostgreSQL stopped for 20 s " + during);
    took.put("PostgreSQL stopped 20 s", Duration.ofNanos(System.nanoTime() - t));
    t = System.nanoTime();
    composeOk(Duration.ofMinutes(2), "restart", "joiner", "query-server", "controller");
    await(
        "the controller to answer again",
        Duration.ofMinutes(2),
        ComposeDeploymentIT::lifecycle,
        () -> json("http://localhost:9405/v1/lifecycle", null) != null);
    took.put("joiner, query server, controller restarted", Duration.ofNanos(System.nanoTime() - t));
    System.out.println(
        "faults "
            + during
            + ": "
            + took
            + "; the learning job restarted "
            + (restarts() - restartsBefore)
            + " times");
    return took;
  }

  // ---- the deployment's life ----

  @Test
  @Order(1)
  void documentsStreamedThroughFaultsAreStoredOnceEachAndSearched() throws Exception {
    await(
        "the learning job to run on the application cluster",
        Duration.ofMinutes(5),
        () -> jobs(8081),
        ComposeDeploymentIT::jobRunning);

    // The corpus arrives one document every 300 ms while the faults happen.
    List<Map.Entry<String, String>> documents = new ArrayList<>(TASK.corpus().entrySet());
    AvroCodec<Sentence> codec = AvroCodec.of(Sentence.class);
    List<Future<RecordMetadata>> sent = Collections.synchronizedList(new ArrayList<>());
    ScheduledExecutorService pace = Executors.newSingleThreadScheduledExecutor();
    try (KafkaProducer<byte[], byte[]> producer = KafkaRecords.producer("localhost:29092")) {
      int[] next = {0};
      pace.scheduleAtFixedRate(
          () -> {
            if (next[0] < documents.size()) {
              Map.Entry<String, String> d = documents.get(next[0]++);
              Sentence s =
                  Sentence.newBuilder()
                      .setId(d.getKey())
                      .setText(d.getValue())
                      .setEventTime(Instant.now())
                      .build();
              sent.add(
                  producer.send(
                      new ProducerRecord<>(
                          "sentences",
                          d.getKey().getBytes(StandardCharsets.UTF_8),
                          codec.encode(s))));
            }
          },
          0,
          300,
          TimeUnit.MILLISECONDS);
      pause(Duration.ofSeconds(5));
      faults("while documents stream");
      await(
          "every document to be produced",
          Duration.ofMinutes(3),
          () -> sent.size() + " of " + DOCUMENTS,
          () -> sent.size() == DOCUMENTS);
      pace.shutdown();
      for (Future<RecordMetadata> f : sent) {
        f.get(2, TimeUnit.MINUTES); // every document acknowledged by the broker
      }
    } finally {
      pace.shutdownNow();
    }

    await(
        "the store to serve " + first + " with every document",
        Duration.ofMinutes(5),
        ComposeDeploymentIT::lifecycle,
        () -> serves(first, DOCUMENTS));
    StoreCounts counts = storeCounts();
    assertEquals(Map.of(first, (long) DOCUMENTS), counts.distinct(), "none missing");
    assertEquals(0, counts.duplicates(), "no (id, version) twice: " + counts);
    await(
        "/v1/search to answer with " + first,
        Duration.ofMinutes(2),
        ComposeDeploymentIT::searchedWith,
        () -> first.equals(searchedWith()));
    searcher.start();
  }

  @Test
  @Order(2)
  void prometheusScrapesEveryTarget() throws Exception {
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
  }

  @Test
  @Order(3)
  void clicksTrainAVersionThatIsBackfilledThroughFaultsAndServedWithNobodyActing()
      throws Exception {
    RetrievalTask.Split split = TASK.split(0.2, 42);
    SimulatedUsers users =
        new SimulatedUsers(
            TASK, split.traffic(), 10, ClickModel.positionBiased(1.0), 42, Instant.now());
    HttpSearches frontEnd = new HttpSearches("http://localhost:8080/v1");
    AvroCodec<Interaction> codec = AvroCodec.of(Interaction.class);
    String joinerMetrics = "http://localhost:9404/metrics";
    // Enough pairs for a round: the trigger counts the training side, a fifth is held out.
    long target = EVERY_PAIRS * 5 / 4 + 20;
    int events = 0;
    // A search closes when the joiner's event time (the simulated clock, SPACING a search) passes
    // its session: later searches close earlier ones, so users search on until the pairs are there.
    try (KafkaProducer<byte[], byte[]> producer = KafkaRecords.producer("localhost:29092")) {
      while (metric(joinerMetrics, "twinstream_joiner_pairs_out_total") < target) {
        if (users.searches() >= 4000) {
          throw new AssertionError(
              "4,000 searches gave "
                  + metric(joinerMetrics, "twinstream_joiner_pairs_out_total")
                  + " pairs");
        }
        List<Interaction> batch = users.search(128, frontEnd);
        for (Interaction event : batch) {
          producer.send(
              new ProducerRecord<>(
                  "interactions",
                  event.getRequestId().toString().getBytes(StandardCharsets.UTF_8),
                  codec.encode(event)));
        }
        producer.flush();
        events += batch.size();
        long sent = events;
        await(
            "the joiner to read the events sent",
            Duration.ofMinutes(2),
            () -> metric(joinerMetrics, "twinstream_joiner_events_in_total") + " of " + sent,
            () -> metric(joinerMetrics, "twinstream_joiner_events_in_total") >= sent);
      }
    }
    System.out.printf(
        "users: %d searches, %d events -> joiner -> %.0f pairs%n",
        users.searches(), events, metric(joinerMetrics, "twinstream_joiner_pairs_out_total"));

    // A round on the application cluster, its gate, a promotion announced on model-updates.
    await(
        "the learning job to train, gate and promote a version",
        Duration.ofMinutes(12),
        ComposeDeploymentIT::lifecycle,
        () -> {
          JsonNode l = json("http://localhost:9405/v1/lifecycle", null);
          if (l == null) {
            return false;
          }
          for (JsonNode v : l.path("versions")) {
            String name = v.path("version").asText();
            if (name.startsWith("ft-")) {
              trained = name;
              return true;
            }
          }
          return false;
        });
    System.out.println("promoted " + trained + ": " + phaseOf(trained));

    // The controller backfills it; every fault again meanwhile, and the backfill's TaskManager
    // killed.
    crash("backfill-taskmanager");
    faults("during the backfill of " + trained);
    await(
        "the controller to backfill " + trained + " and cut the store over",
        Duration.ofMinutes(8),
        ComposeDeploymentIT::lifecycle,
        () -> serves(trained, DOCUMENTS));
    await(
        "/v1/search to answer with " + trained,
        Duration.ofMinutes(1),
        ComposeDeploymentIT::searchedWith,
        () -> trained.equals(searchedWith()));
    String backfills = jobs(8082);
    assertTrue(
        backfills.contains("twinstream-backfill " + trained),
        "the backfill ran on the backfill cluster: " + backfills);
    JsonNode models = json("http://localhost:8080/v1/models", null);
    assertTrue(models != null && models.toString().contains(trained), String.valueOf(models));

    StoreCounts counts = storeCounts();
    assertEquals((long) DOCUMENTS, counts.distinct().get(trained), "none missing: " + counts);
    assertEquals((long) DOCUMENTS, counts.distinct().get(first), "kept for its grace: " + counts);
    assertEquals(0, counts.duplicates(), "no (id, version) twice: " + counts);
    searcher.assertNeverWentBack(List.of(first, trained));
  }

  @Test
  @Order(4)
  void aVersionPublishedByHandUnderTheImagesMemoryLimitIsServed() throws Exception {
    // model-init's container: the CLI image under its compose memory limit.
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
        "the controller to backfill v2 and cut the store over",
        Duration.ofMinutes(5),
        ComposeDeploymentIT::lifecycle,
        () -> serves("v2", DOCUMENTS));
    await(
        "/v1/search to answer with v2",
        Duration.ofMinutes(1),
        ComposeDeploymentIT::searchedWith,
        () -> "v2".equals(searchedWith()));
    StoreCounts counts = storeCounts();
    assertEquals((long) DOCUMENTS, counts.distinct().get("v2"), "none missing: " + counts);
    assertEquals(0, counts.duplicates(), "no (id, version) twice: " + counts);
    searcher.assertNeverWentBack(List.of(first, trained, "v2"));
  }

  @Test
  @Order(5)
  void aJobManagerLostWithoutHighAvailabilityNeedsItsTaskManagerRestartedAndTheStoreStaysExact()
      throws Exception {
    int before = KafkaRecords.readCommitted("localhost:29092", "embeddings").size();
    long t = System.nanoTime();
    // Without HA the new JobManager submits the job anew, and on the TaskManager that survived the
    // new job's class loader cannot load the native libraries the old one holds ("already loaded
    // in another classloader": seen here, the job then restarts forever). So a JobManager loss
    // takes the TaskManager's restart too (docs/reliability.md).
    crash("jobmanager");
    composeOk(Duration.ofMinutes(2), "restart", "taskmanager");
    await(
        "the learning job to run every task again after its JobManager was killed",
        Duration.ofMinutes(6),
        () -> jobs(8081),
        ComposeDeploymentIT::jobRunning);
    Duration restart = Duration.ofNanos(System.nanoTime() - t);
    Map<String, String> late = new LinkedHashMap<>();
    for (int i = 0; i < 20; i++) {
      late.put("late-" + i, "A late report " + i + ": the service fails after the restart");
    }
    KafkaRecords.produceSentences("localhost:29092", "sentences", late);
    await(
        "the late documents to be stored under v2",
        Duration.ofMinutes(4),
        ComposeDeploymentIT::lifecycle,
        () -> phaseOf("v2").path("rows").asLong() == DOCUMENTS + late.size());
    int after = KafkaRecords.readCommitted("localhost:29092", "embeddings").size();
    int again = after - before - late.size();
    System.out.printf(
        "JobManager killed: job running again after %.1f s; embeddings written again: %d%n",
        restart.toMillis() / 1000.0, again);
    StoreCounts counts = storeCounts();
    assertEquals(0, counts.duplicates(), "the store's upserts absorb a replay: " + counts);
    assertEquals(
        (long) DOCUMENTS + late.size(), counts.distinct().get("v2"), "none missing: " + counts);
  }

  @Test
  @Order(6)
  void everyServiceRanUnderItsMemoryLimitWithoutBeingKilledForIt() throws Exception {
    Map<String, ContainerMemory.Service> services = memory.services();
    services.values().forEach(s -> System.out.println("memory " + s.line()));
    for (ContainerMemory.Service s : services.values()) {
      assertTrue(s.limitBytes() > 0, s.name() + " runs without a memory limit");
      assertFalse(s.oomKilled(), s.line());
    }
  }

  /**
   * Searches once a second from the first cut-over on, recording the version each answer names.
   * Versions are served one after another: an answer naming a version older than one an earlier
   * answer named would mean the server went back (or mixed two), and no answer may be incomplete.
   */
  private static final class Searcher implements AutoCloseable {
    private final List<String> answers = Collections.synchronizedList(new ArrayList<>());
    private final ScheduledExecutorService every = Executors.newSingleThreadScheduledExecutor();
    private volatile long failures;

    void start() {
      every.scheduleWithFixedDelay(
          () -> {
            String v = searchedWith();
            if (v == null) {
              failures++; // a restarting server: counted, not a mix
            } else {
              answers.add(v);
            }
          },
          0,
          1,
          TimeUnit.SECONDS);
    }

    void assertNeverWentBack(List<String> order) {
      List<String> seen;
      synchronized (answers) {
        seen = List.copyOf(answers);
      }
      int highest = 0;
      for (String v : seen) {
        int at = order.indexOf(v);
        assertTrue(at >= 0, "an answer named " + v + ", not one of " + order);
        assertTrue(at >= highest, "an answer went back to " + v + " after " + order.get(highest));
        highest = at;
      }
      Map<String, Long> perVersion = new TreeMap<>();
      seen.forEach(v -> perVersion.merge(v, 1L, Long::sum));
      System.out.println(
          "searches during the run: " + perVersion + ", " + failures + " unanswered (restarts)");
    }

    @Override
    public void close() {
      every.shutdownNow();
    }
  }
}
