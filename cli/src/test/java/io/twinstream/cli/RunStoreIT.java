package io.twinstream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.encoder.ModelBundle;
import io.twinstream.records.ModelStatus;
import io.twinstream.records.ModelUpdate;
import io.twinstream.store.StoreSpec;
import io.twinstream.store.VectorStore;
import io.twinstream.testkit.KafkaRecords;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code twinstream run} with a vector store and a registry, in process: the embedded store fills
 * from the stream; the run backfills its first model and cuts over to it, then, after a promotion
 * from the command line, backfills the new version and cuts over again, announcing FULLY_SERVED; a
 * sentence written afterwards reaches the new version by the stream, and a tombstone deletes its
 * document under both versions.
 */
class RunStoreIT {

  private static final int DOCUMENTS = 30;

  @TempDir Path tmp;

  private static void await(String what, Duration timeout, BooleanSupplier done) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      long pause = System.nanoTime() + 200_000_000L;
      while (System.nanoTime() < pause) {
        Thread.onSpinWait();
      }
    }
  }

  @Test
  void runBackfillsEveryVersionTheRegistryServesAndCutsTheStoreOverToIt() throws Exception {
    LineWatcher runOut = new LineWatcher(Pattern.compile("^bootstrap=(\\S+)$"));
    StringWriter runErr = new StringWriter();
    AtomicInteger runExit = new AtomicInteger(-1);
    Path registry = tmp.resolve("registry");
    Path storeDir = tmp.resolve("store");
    Thread run =
        new Thread(
            () -> {
              CommandLine cmd = TwinstreamCli.commandLine();
              cmd.setOut(new PrintWriter(runOut, true));
              cmd.setErr(new PrintWriter(runErr, true));
              runExit.set(
                  cmd.execute(
                      "run",
                      "--embedded",
                      "--state-dir",
                      tmp.resolve("state").toString(),
                      "--checkpoint-interval",
                      "500ms",
                      "--model",
                      "default-int8",
                      "--registry",
                      registry.toString(),
                      "--set",
                      "store.location=" + storeDir));
            },
            "run");
    run.start();
    try {
      String bootstrap = runOut.first().get(120, TimeUnit.SECONDS).group(1);
      StringBuilder lines = new StringBuilder();
      for (int i = 0; i < DOCUMENTS; i++) {
        lines.append("{\"id\": \"doc-").append(i).append("\", \"text\": \"Document ");
        lines.append(i).append(" about refunds and parcels.\"}\n");
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
      String first = ModelBundle.builtin(ModelBundle.DEFAULT_INT8).version();
      try (VectorStore store = StoreSpec.lucene(storeDir, 384).open()) {
        await(
            "the store to serve " + first + " with every document: " + runErr,
            Duration.ofMinutes(3),
            () ->
                store.servingVersion().orElse("").equals(first) && store.count(first) == DOCUMENTS);

        CliRun published =
            CliRun.of(
                "model",
                "publish",
                "default",
                "--registry",
                registry.toString(),
                "--version",
                "v2",
                "--promote",
                "--bootstrap",
                bootstrap);
        assertEquals(0, published.exitCode(), published.err());
        await(
            "the store to serve v2 with every document: " + runErr,
            Duration.ofMinutes(3),
            () -> store.servingVersion().orElse("").equals("v2") && store.count("v2") == DOCUMENTS);
        assertEquals(DOCUMENTS, store.count(first), "the previous version is kept (no --grace)");

        Path late = tmp.resolve("late.jsonl");
        Files.writeString(late, "{\"id\": \"late\", \"text\": \"Written after the cut-over.\"}\n");
        CliRun.of(
            "produce", "--bootstrap", bootstrap, "--format", "jsonl", "--input", late.toString());
        await(
            "the late document in v2",
            Duration.ofMinutes(2),
            () -> store.get("late", "v2").isPresent());

        long before = store.count(first); // the late document may have a row of it (a dual write)
        KafkaRecords.produceRaw(
            bootstrap, "sentences", "doc-0".getBytes(StandardCharsets.UTF_8), null);
        await(
            "the tombstone of doc-0 to delete it under both versions",
            Duration.ofMinutes(2),
            () -> store.get("doc-0", first).isEmpty() && store.get("doc-0", "v2").isEmpty());
        assertEquals(
            before - 1, store.count(first), "the tombstone deleted doc-0 and nothing else");
      }
      List<ModelUpdate> updates =
          KafkaRecords.readCommitted(bootstrap, "model-updates", ModelUpdate.class);
      assertTrue(
          updates.stream()
              .anyMatch(
                  u -> u.getStatus() == ModelStatus.FULLY_SERVED && u.getVersion().equals("v2")),
          updates.toString());
    } finally {
      // Also when an assertion fails: a job left running here would hold this JVM's transactional
      // ids.
      run.interrupt();
      run.join(60_000);
    }
    assertEquals(0, runExit.get(), runErr.toString());
    assertTrue(runErr.toString().contains("backfilled v2"), runErr.toString());
  }
}
