package io.twinstream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code twinstream demo} end to end on a small generated task: one round, report, chart, dump, registry. */
class DemoCommandIT {

  @TempDir
  Path tmp;

  @Test
  void aOneRoundDemoWritesAConsistentReportChartDumpAndRegistry() throws Exception {
    Path report = tmp.resolve("out/report.json");
    Path dump = tmp.resolve("dump");
    Path registry = tmp.resolve("registry");
    CliRun run = CliRun.of("demo", "--rounds", "1", "--problems", "6", "--services", "3", "--queries-per-round",
        "12", "--shown", "5", "--report", report.toString(), "--dump", dump.toString(), "--registry",
        registry.toString());
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().contains("(base model)"), run.out());

    JsonNode doc = new ObjectMapper().readTree(report.toFile());
    JsonNode versions = doc.get("versions");
    assertEquals(2, versions.size());
    assertEquals("BASE", versions.get(0).get("status").asText());
    JsonNode round = versions.get(1);
    assertEquals("ft-0001", round.get("version").asText());
    assertTrue(Set.of("PROMOTED", "REJECTED").contains(round.get("status").asText()), round.toString());
    assertTrue(round.get("metrics").has("fixed/ndcg@10"), round.toString());
    assertTrue(round.get("test/ndcg@10").isNumber(), round.toString());
    assertTrue(round.get("roundSeconds").asDouble() > 0, round.toString());
    assertEquals(60, doc.get("topics").get("feedback-pairs").get("in").asInt(), "12 searches x 5 shown");
    assertEquals(0, doc.get("topics").get("dead-letters").get("out").asInt());

    List<String> embeddings = Files.readAllLines(dump.resolve("embeddings.jsonl"));
    assertEquals(doc.get("topics").get("embeddings").get("out").asInt(), embeddings.size());
    assertTrue(embeddings.size() >= 18, "the corpus at least once");
    List<String> updates = Files.readAllLines(dump.resolve("model-updates.jsonl"));
    assertEquals(1, updates.size());
    assertTrue(updates.get(0).contains("\"ft-0001\""), updates.get(0));
    assertTrue(Files.readString(tmp.resolve("out/report.html")).contains("<svg"));
    assertTrue(Files.exists(registry.resolve("ft-0001/manifest.json")), "the candidate is kept in the registry");
  }
}
