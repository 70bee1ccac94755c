package io.twinstream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The streaming walk-through of docs/streaming.md, in process: {@code run --embedded} (broker in a
 * child JVM, Flink mini-cluster), then {@code produce} and {@code consume} against the bootstrap
 * address it prints.
 */
class RunProduceConsumeIT {

  @TempDir Path tmp;

  @Test
  void embeddedRunEmbedsWhatIsProducedAndStopsCleanly() throws Exception {
    LineWatcher runOut = new LineWatcher(Pattern.compile("^bootstrap=(\\S+)$"));
    StringWriter runErr = new StringWriter();
    AtomicInteger runExit = new AtomicInteger(-1);
    int metricsPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      metricsPort = socket.getLocalPort();
    }
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
                      "--metrics-port",
                      Integer.toString(metricsPort),
                      "--registry",
                      tmp.resolve("registry").toString()));
            },
            "run");
    run.start();
    String bootstrap = runOut.first().get(120, TimeUnit.SECONDS).group(1);

    Path in = tmp.resolve("in.jsonl");
    Files.writeString(
        in,
        """
        {"id": "a", "text": "Refund requested for order 55-1182.", "attributes": {"lang": "en"}}
        {"id": "b", "text": "Le colis est arrivé avec deux jours de retard."}
        {"id": "c", "text": "   "}
        """);
    CliRun produced =
        CliRun.of(
            "produce", "--bootstrap", bootstrap, "--format", "jsonl", "--input", in.toString());
    assertEquals(2, produced.exitCode(), produced.err());
    assertTrue(
        produced.err().contains("line 3: rejected: empty or whitespace-only text"), produced.err());

    Path out = tmp.resolve("out.jsonl");
    CliRun consumed =
        CliRun.of(
            "consume",
            "--bootstrap",
            bootstrap,
            "--topic",
            "embeddings",
            "--output",
            out.toString(),
            "--max",
            "2",
            "--timeout",
            "60");
    assertEquals(0, consumed.exitCode(), consumed.err());
    List<JsonNode> lines = new ArrayList<>();
    for (String line : Files.readAllLines(out, StandardCharsets.UTF_8)) {
      lines.add(new ObjectMapper().readTree(line));
    }
    assertEquals(2, lines.size());
    JsonNode a =
        lines.stream().filter(n -> n.get("id").asText().equals("a")).findFirst().orElseThrow();
    assertEquals("all-MiniLM-L6-v2", a.get("modelVersion").asText());
    assertEquals(384, a.get("vector").size());
    assertEquals("en", a.get("attributes").get("lang").asText());
    assertTrue(a.get("embeddedAt").asLong() >= a.get("eventTime").asLong());

    // Flink's Prometheus reporter serves the job's metrics while it runs.
    String metrics =
        new String(
            URI.create("http://localhost:" + metricsPort + "/metrics")
                .toURL()
                .openStream()
                .readAllBytes(),
            StandardCharsets.UTF_8);
    Matcher embedded = Pattern.compile("operator_embeddingsOut\\{[^}]*} (\\S+)").matcher(metrics);
    assertTrue(
        embedded.find(), "no embeddingsOut metric in:\n" + metrics.lines().limit(20).toList());
    assertEquals(2.0, Double.parseDouble(embedded.group(1)));
    assertTrue(metrics.contains("operator_deadLetters"), "deadLetters metric is exported");

    // Hot swap from the command line: publish and promote another model; new sentences get it.
    Path registry = tmp.resolve("registry");
    CliRun published =
        CliRun.of(
            "model",
            "publish",
            "default-int8",
            "--registry",
            registry.toString(),
            "--version",
            "int8-v1",
            "--promote",
            "--bootstrap",
            bootstrap);
    assertEquals(0, published.exitCode(), published.err());
    assertTrue(published.out().contains("PROMOTED int8-v1"), published.out());
    String swappedVersion = null;
    long deadline = System.nanoTime() + 120_000_000_000L;
    for (int i = 0; swappedVersion == null || !swappedVersion.equals("int8-v1"); i++) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "no embedding from int8-v1 after its promotion; last: " + swappedVersion);
      }
      String id = "after-" + i;
      Path one = tmp.resolve(id + ".jsonl");
      Files.writeString(
          one, "{\"id\": \"" + id + "\", \"text\": \"Sentence " + i + " after the promotion.\"}\n");
      assertEquals(
          0,
          CliRun.of(
                  "produce",
                  "--bootstrap",
                  bootstrap,
                  "--format",
                  "jsonl",
                  "--input",
                  one.toString())
              .exitCode());
      Path got = tmp.resolve("got-" + i + ".jsonl");
      assertEquals(
          0,
          CliRun.of(
                  "consume", "--bootstrap", bootstrap, "--output", got.toString(), "--timeout", "3")
              .exitCode());
      for (String line : Files.readAllLines(got, StandardCharsets.UTF_8)) {
        JsonNode node = new ObjectMapper().readTree(line);
        if (node.get("id").asText().equals(id)) {
          swappedVersion = node.get("modelVersion").asText();
        }
      }
    }
    CliRun list = CliRun.of("model", "list", "--registry", registry.toString());
    assertTrue(list.out().contains("*  int8-v1"), list.out());

    run.interrupt();
    run.join(60_000);
    assertEquals(0, runExit.get(), runErr.toString());
    assertTrue(runErr.toString().contains("Kafka stopped"), runErr.toString());
  }
}
