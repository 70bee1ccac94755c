package io.twinstream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code twinstream demo} end to end with its defaults, as the README runs it: three rounds,
 * report, chart, dump and registry consistent with each other, and the test nDCG@10 per version
 * that the README quotes.
 */
class DemoCommandIT {

  /**
   * How far a run may be from the README's figures (everything is seeded; other CPUs may round
   * differently).
   */
  private static final double TOLERANCE = 0.01;

  @TempDir Path tmp;

  /** The figures the README quotes, in order: "0.226 → 0.308 → ...". */
  private static List<Double> readmeFigures() throws Exception {
    String readme =
        Files.readString(
            Path.of(System.getProperty("twinstream.dataDir", "../data"))
                .getParent()
                .resolve("README.md"));
    Matcher m = Pattern.compile("seed 42:\\s+(\\d\\.\\d+(?:\\s+→\\s+\\d\\.\\d+)+)").matcher(readme);
    assertTrue(m.find(), "the README quotes the demo's figures after 'seed 42:'");
    List<Double> out = new ArrayList<>();
    for (String figure : m.group(1).split("\\s+→\\s+")) {
      out.add(Double.parseDouble(figure));
    }
    return out;
  }

  @Test
  void theDefaultDemoWritesAConsistentReportAndReachesTheReadmesFigures() throws Exception {
    Path report = tmp.resolve("out/report.json");
    Path dump = tmp.resolve("dump");
    Path registry = tmp.resolve("registry");
    CliRun run =
        CliRun.of(
            "demo",
            "--report",
            report.toString(),
            "--dump",
            dump.toString(),
            "--registry",
            registry.toString());
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().contains("(base model)"), run.out());

    JsonNode doc = new ObjectMapper().readTree(report.toFile());
    JsonNode versions = doc.get("versions");
    assertEquals(4, versions.size(), "the base model and three rounds");
    assertEquals("BASE", versions.get(0).get("status").asText());
    List<Double> figures = readmeFigures();
    assertEquals(versions.size(), figures.size(), "one README figure per version");
    for (int i = 0; i < versions.size(); i++) {
      JsonNode v = versions.get(i);
      double ndcg = v.get("test/ndcg@10").asDouble();
      assertEquals(figures.get(i), ndcg, TOLERANCE, v.get("version").asText() + " test nDCG@10");
      if (i > 0) {
        assertEquals(String.format("ft-%04d", i), v.get("version").asText());
        assertEquals("PROMOTED", v.get("status").asText(), v.toString());
        assertTrue(v.get("metrics").has("fixed/ndcg@10"), v.toString());
        assertTrue(v.get("roundSeconds").asDouble() > 0, v.toString());
        assertTrue(
            Files.exists(registry.resolve(v.get("version").asText() + "/manifest.json")),
            "every candidate is kept in the registry");
      }
    }
    assertEquals(
        2_880,
        doc.get("topics").get("feedback-pairs").get("in").asInt(),
        "3 rounds x 96 searches x 10");
    assertEquals(0, doc.get("topics").get("dead-letters").get("out").asInt());

    List<String> embeddings = Files.readAllLines(dump.resolve("embeddings.jsonl"));
    assertEquals(doc.get("topics").get("embeddings").get("out").asInt(), embeddings.size());
    assertTrue(embeddings.size() >= 4 * 240, "the corpus under each of the four versions");
    List<String> updates = Files.readAllLines(dump.resolve("model-updates.jsonl"));
    assertEquals(3, updates.size(), "one update per round, each announced once");
    assertTrue(updates.get(2).contains("\"ft-0003\""), updates.get(2));
    assertTrue(Files.readString(tmp.resolve("out/report.html")).contains("<svg"));
  }
}
