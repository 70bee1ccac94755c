package io.twinstream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.twinstream.testkit.EmbeddedKafka;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code model publish/list/promote/rollback} against a real broker, and {@code embed --model
 * ROOT/VERSION}.
 */
class ModelRegistryCommandsIT {

  private static EmbeddedKafka kafka;

  @TempDir Path tmp;

  @BeforeAll
  static void start() throws Exception {
    kafka = EmbeddedKafka.start();
  }

  @AfterAll
  static void stop() {
    kafka.close();
  }

  @Test
  void publishPromoteRollbackAndEmbedWithAPublishedVersion() throws Exception {
    String registry = tmp.resolve("registry").toString();
    String bootstrap = kafka.bootstrapServers();
    assertEquals(
        0,
        CliRun.of("model", "publish", "default", "--registry", registry, "--version", "fp32")
            .exitCode());
    CliRun int8 =
        CliRun.of("model", "publish", "default-int8", "--registry", registry, "--version", "int8");
    assertEquals(0, int8.exitCode(), int8.err());
    CliRun again =
        CliRun.of("model", "publish", "default-int8", "--registry", registry, "--version", "int8");
    assertEquals(1, again.exitCode());
    assertTrue(again.err().contains("already published"), again.err());

    assertEquals(
        0,
        CliRun.of("model", "promote", "fp32", "--registry", registry, "--bootstrap", bootstrap)
            .exitCode());
    CliRun promoted =
        CliRun.of(
            "model",
            "promote",
            "int8",
            "--registry",
            registry,
            "--bootstrap",
            bootstrap,
            "--reason",
            "better on the eval set");
    assertEquals(0, promoted.exitCode(), promoted.err());
    assertTrue(CliRun.of("model", "list", "--registry", registry).out().contains("*  int8"));

    CliRun rollback =
        CliRun.of("model", "rollback", "--registry", registry, "--bootstrap", bootstrap);
    assertEquals(0, rollback.exitCode(), rollback.err());
    assertTrue(rollback.out().contains("ROLLED_BACK fp32"), rollback.out());
    assertTrue(CliRun.of("model", "list", "--registry", registry).out().contains("*  fp32"));

    CliRun missing =
        CliRun.of("model", "promote", "nope", "--registry", registry, "--bootstrap", bootstrap);
    assertEquals(1, missing.exitCode());
    assertTrue(missing.err().contains("no such version"), missing.err());

    Path updates = tmp.resolve("updates.jsonl");
    assertEquals(
        0,
        CliRun.of(
                "consume",
                "--bootstrap",
                bootstrap,
                "--topic",
                "model-updates",
                "--output",
                updates.toString(),
                "--max",
                "3",
                "--timeout",
                "20")
            .exitCode());
    List<String> statuses = new ArrayList<>();
    for (String line : Files.readAllLines(updates, StandardCharsets.UTF_8)) {
      JsonNode u = new ObjectMapper().readTree(line);
      statuses.add(u.get("status").asText() + " " + u.get("version").asText());
      assertEquals(64, u.get("sha256").asText().length());
    }
    assertEquals(List.of("PROMOTED fp32", "PROMOTED int8", "ROLLED_BACK fp32"), statuses);

    Path in = tmp.resolve("in.txt");
    Files.writeString(in, "embedded with a published version\n");
    Path out = tmp.resolve("out.jsonl");
    assertEquals(
        0,
        CliRun.of(
                "embed",
                "--model",
                registry + "/int8",
                "--input",
                in.toString(),
                "--output",
                out.toString())
            .exitCode());
    assertEquals(
        "int8",
        new ObjectMapper().readTree(Files.readAllLines(out).get(0)).get("model_version").asText());
  }

  @Test
  void traversalOutOfTheRegistryIsRefused() {
    CliRun run =
        CliRun.of(
            "model",
            "publish",
            "default-int8",
            "--registry",
            tmp.resolve("r").toString(),
            "--version",
            "../escape");
    assertEquals(1, run.exitCode());
    assertTrue(run.err().contains("Invalid bundle version '../escape'"), run.err());
  }
}
