package io.twinstream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.encoder.ModelBundle;
import io.twinstream.kafka.KafkaModelUpdates;
import io.twinstream.lifecycle.Phase;
import io.twinstream.records.LifecyclePhase;
import io.twinstream.records.ModelStatus;
import io.twinstream.records.ModelUpdate;
import io.twinstream.records.VersionLifecycle;
import io.twinstream.store.PgliteServer;
import io.twinstream.store.StoreSpec;
import io.twinstream.store.VectorStore;
import io.twinstream.testkit.EmbeddedKafka;
import io.twinstream.testkit.KafkaRecords;
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
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code twinstream controller} in a process of its own against a real broker and a real PostgreSQL
 * with pgvector (PGlite): with nobody acting, it serves the first model, then backfills a promoted
 * version; killed with SIGKILL in the middle of that backfill and started again, it resumes it —
 * every document of the new version exactly once, one cut-over, FULLY_SERVED — and still drops the
 * replaced version when its grace ends; a second controller started beside it takes its journal
 * over, and it stops (exit code 3).
 */
class ControllerIT {

  private static final int DOCUMENTS = 3000;
  private static final String TABLE = "controlled";

  @TempDir Path tmp;

  /** Waits for {@code done} while {@code process} lives; {@code what} is read on failure. */
  private static void await(
      Process process, Supplier<String> what, Duration timeout, BooleanSupplier done) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!done.getAsBoolean()) {
      if (!process.isAlive()) {
        throw new AssertionError(
            "the controller exited (" + process.exitValue() + "): " + what.get());
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what.get());
      }
      long pause = System.nanoTime() + 50_000_000L;
      while (System.nanoTime() < pause) {
        Thread.onSpinWait();
      }
    }
  }

  /** {@code java -jar twinstream.jar controller ...}, its output in a file. */
  private static Process controller(List<String> args, Path log) throws IOException {
    Path jar = Path.of(System.getProperty("twinstream.cliJar", "target/twinstream.jar"));
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx1g");
    command.add("-jar");
    command.add(jar.toAbsolutePath().toString());
    command.add("controller");
    command.addAll(args);
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .start();
  }

  private static String text(Path log) {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }

  @Test
  void aControllerKilledMidBackfillResumesItCutsOverOnceStillDropsWhatIsDueAndARollbackAbandons()
      throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start();
        PgliteServer pg = PgliteServer.start()) {
      String bootstrap = kafka.bootstrapServers();
      kafka.createTopics(
          Map.of("sentences", 1), Map.of("sentences", Map.of("cleanup.policy", "compact")));
      StringBuilder lines = new StringBuilder();
      for (int i = 0; i < DOCUMENTS; i++) {
        lines.append("{\"id\": \"doc-").append(i).append("\", \"text\": \"Parcel ").append(i);
        lines.append(" was refunded after the courier lost it on the way to the depot.\"}\n");
      }
      Path in = tmp.resolve("in.jsonl");
      Files.writeString(in, lines);
      assertEquals(
          0,
          CliRun.of(
                  "produce",
                  "--bootstrap",
                  bootstrap,
                  "--format",
                  "jsonl",
                  "--input",
                  in.toString())
              .exitCode());
      Path registry = tmp.resolve("registry");
      new KafkaModelUpdates(
              io.twinstream.cli.Registries.open(registry.toString()),
              "default",
              Map.of("bootstrap.servers", bootstrap),
              "model-updates")
          .ensureTopic();
      String url = pg.jdbcUrl() + "&user=postgres&password=postgres&prepareThreshold=0";
      List<String> args =
          List.of(
              "--registry",
              registry.toString(),
              "--first-model",
              "default-int8",
              "--bootstrap",
              bootstrap,
              "--store",
              "pgvector",
              "--store-location",
              url,
              "--store-table",
              TABLE,
              "--grace",
              "20s",
              "--metrics-port",
              "0");
      String first = ModelBundle.builtin(ModelBundle.DEFAULT_INT8).version();
      Path log = tmp.resolve("controller.log");
      Process one = controller(args, log);
      try (VectorStore store = StoreSpec.pgvector(url, TABLE, 384, "postgres", "postgres").open()) {
        await(
            one,
            () -> "the store to serve " + first + ": " + text(log),
            Duration.ofMinutes(5),
            () -> store.servingVersion().orElse("").equals(first));
        assertEquals(DOCUMENTS, store.count(first));

        publishAndPromote(registry, bootstrap, "v2");
        await(
            one,
            () -> "the backfill of v2 to write rows: " + text(log),
            Duration.ofMinutes(3),
            () -> store.count("v2") > 0);
        one.destroyForcibly().waitFor();
        long atKill = store.count("v2");
        assertTrue(atKill < DOCUMENTS, "killed mid-backfill: " + atKill + " rows of v2");
        assertEquals(first, store.servingVersion().orElseThrow(), "nothing cut over yet");

        Process two = controller(args, log);
        try {
          await(
              two,
              () -> "the store to serve v2 after the restart: " + text(log),
              Duration.ofMinutes(5),
              () -> store.servingVersion().orElse("").equals("v2"));
          assertEquals(DOCUMENTS, store.count("v2"), "every document once");
          String journal =
              KafkaRecords.readCommitted(bootstrap, "model-lifecycle", VersionLifecycle.class)
                  .toString();
          assertTrue(text(log).contains("resumed"), journal + "\n" + text(log));
          await(
              two,
              () -> first + " dropped when its grace ends: " + text(log),
              Duration.ofMinutes(2),
              () -> store.count(first) == 0);
          assertEquals(Map.of("v2", (long) DOCUMENTS), store.versions());

          String status = status(text(log));
          assertTrue(status.contains("\"serving\":\"v2\""), status);

          // A rollback announced during the next version's backfill abandons it.
          publishAndPromote(registry, bootstrap, "v3");
          await(
              two,
              () -> "the backfill of v3 to write rows: " + text(log),
              Duration.ofMinutes(3),
              () -> store.count("v3") > 0);
          CliRun back =
              CliRun.of(
                  "model",
                  "rollback",
                  "--to",
                  "v2",
                  "--registry",
                  registry.toString(),
                  "--bootstrap",
                  bootstrap);
          assertEquals(0, back.exitCode(), back.err());
          await(
              two,
              () -> "v3 abandoned and its rows dropped: " + text(log),
              Duration.ofMinutes(2),
              () -> text(log).contains("abandoned the backfill of v3") && store.count("v3") == 0);
          assertEquals("v2", store.servingVersion().orElseThrow(), "the store kept serving v2");
          assertEquals(DOCUMENTS, store.count("v2"));

          // A second controller started beside it takes the journal over; the first one stops.
          Process three = controller(args, log);
          try {
            assertTrue(
                two.waitFor(2, java.util.concurrent.TimeUnit.MINUTES),
                "the replaced controller stops: " + text(log));
            assertEquals(3, two.exitValue(), text(log));
            assertTrue(text(log).contains("took it over"), text(log));
            assertTrue(three.isAlive(), text(log));
          } finally {
            three.destroy();
            three.waitFor();
          }
        } finally {
          two.destroy();
          two.waitFor();
        }
      }
      List<VersionLifecycle> journal =
          KafkaRecords.readCommitted(bootstrap, "model-lifecycle", VersionLifecycle.class);
      assertEquals(
          1,
          journal.stream()
              .filter(r -> r.getVersion().toString().equals("v2"))
              .filter(r -> r.getPhase() == LifecyclePhase.SERVING)
              .count(),
          "one cut-over to v2: " + journal);
      assertEquals(
          Phase.DROPPED.name(),
          journal.stream()
              .filter(r -> r.getVersion().toString().equals(first))
              .reduce((a, b) -> b)
              .orElseThrow()
              .getPhase()
              .name());
      List<ModelUpdate> updates =
          KafkaRecords.readCommitted(bootstrap, "model-updates", ModelUpdate.class);
      assertTrue(
          updates.stream()
              .anyMatch(
                  u -> u.getStatus() == ModelStatus.FULLY_SERVED && u.getVersion().equals("v2")),
          updates.toString());
    }
  }

  /**
   * {@code twinstream model publish default-int8 --version VERSION --promote}, which must succeed.
   */
  private static void publishAndPromote(Path registry, String bootstrap, String version) {
    CliRun published =
        CliRun.of(
            "model",
            "publish",
            "default-int8",
            "--registry",
            registry.toString(),
            "--version",
            version,
            "--promote",
            "--bootstrap",
            bootstrap);
    assertEquals(0, published.exitCode(), published.err());
  }

  /** GET /v1/lifecycle of the controller whose log says {@code url=...}, last started. */
  private static String status(String log) throws Exception {
    String url = null;
    for (String line : log.split("\n")) {
      if (line.startsWith("url=")) {
        url = line.substring(4).trim();
      }
    }
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create(url + "/v1/lifecycle")).build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }
}
