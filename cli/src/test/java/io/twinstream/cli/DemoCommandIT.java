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
 * {@code twinstream demo} end to end with its defaults, as the README runs it: simulated users'
 * impressions and clicks through the feedback joiner into the job's trainer, three rounds promoted
 * on a real broker; report, chart, dump and registry consistent with each other, and the test
 * nDCG@10 per version that the README quotes.
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
        // A promotion helps the users' searches within seconds, through the query bridge, before
        // the backfill: better than the version they searched before.
        JsonNode bridge = v.get("bridge");
        assertTrue(bridge.has("testNdcg"), "searched through the bridge: " + bridge);
        assertTrue(bridge.get("seconds").asDouble() < 30, bridge.toString());
        assertTrue(
            bridge.get("testNdcg").asDouble() > versions.get(i - 1).get("test/ndcg@10").asDouble(),
            "the bridge beats the old version: " + bridge);
      }
    }
    // Events in, pairs only from the joiner: what the topic holds is what the joiner wrote, clicks
    // and skipped-above results, at least one round's worth per round.
    JsonNode topics = doc.get("topics");
    JsonNode joiner = doc.get("joiner");
    assertEquals(topics.get("interactions").get("in").asInt(), joiner.get("events_in").asInt());
    assertEquals(topics.get("feedback-pairs").get("in").asInt(), joiner.get("pairs_out").asInt());
    assertEquals(
        joiner.get("pairs_out").asInt(),
        joiner.get("pairs_click").asInt() + joiner.get("pairs_skip_above").asInt());
    assertTrue(
        joiner.get("pairs_out").asInt() >= 3 * DemoCommand.DEFAULT_PAIRS_PER_ROUND,
        joiner.toString());
    assertTrue(joiner.get("mean_weight").asDouble() > 1, "clicks below rank 0 weigh more");
    for (String counter : List.of("undecodable", "duplicates", "orphans", "late")) {
      assertEquals(0, joiner.get(counter).asInt(), counter);
    }
    assertEquals(0, topics.get("dead-letters").get("out").asInt());
    for (int i = 1; i < versions.size(); i++) {
      JsonNode feedback = versions.get(i).get("feedback");
      assertTrue(feedback.get("pairs").asInt() >= 1, feedback.toString());
      assertTrue(feedback.get("bySource").has("click"), feedback.toString());
    }

    // The corpus is streamed once, under the base model; every promoted version reaches the store
    // by a backfill, and the store cuts over to a version only when it holds every document.
    int documents = doc.get("task").get("documents").asInt();
    List<String> embeddings = Files.readAllLines(dump.resolve("embeddings.jsonl"));
    assertEquals(doc.get("topics").get("embeddings").get("out").asInt(), embeddings.size());
    assertEquals(documents, doc.get("topics").get("sentences").get("in").asInt(), "no re-stream");
    JsonNode store = doc.get("store");
    assertEquals("lucene", store.get("store").asText());
    assertEquals(0, store.get("mixedSearches").asInt(), "no search compared two versions");
    assertEquals("ft-0003", store.get("serving").asText());
    JsonNode stored = store.get("versions");
    assertEquals(4, stored.size(), store.toString());
    for (int i = 0; i < versions.size(); i++) {
      JsonNode v = stored.get(versions.get(i).get("version").asText());
      assertEquals(documents, v.get("rows").asInt(), "one row per document and version: " + v);
      assertEquals(i == 0 ? "stream" : "backfill", v.get("filledBy").asText(), v.toString());
      assertTrue(v.get("cutOverMillis").asDouble() >= 0, v.toString());
      assertTrue(i == 3 || v.get("searches").asInt() > 0, "users searched it: " + v);
    }
    List<String> updates = Files.readAllLines(dump.resolve("model-updates.jsonl"));
    List<String> decisions = updates.stream().filter(u -> !u.contains("FULLY_SERVED")).toList();
    assertEquals(3, decisions.size(), "one update per round, each announced once");
    assertTrue(decisions.get(2).contains("\"ft-0003\""), decisions.get(2));
    assertEquals(4, updates.size() - decisions.size(), "FULLY_SERVED after each cut-over");
    assertTrue(Files.readString(tmp.resolve("out/report.html")).contains("<svg"));
  }

  @Test
  void inAdapterModeAPromotionServesAtOnceOnTheBaseVersionsDocumentsWithoutABackfill()
      throws Exception {
    Path report = tmp.resolve("adapter/report.json");
    Path registry = tmp.resolve("adapter-registry");
    CliRun run =
        CliRun.of(
            "demo",
            "--trainer-mode",
            "adapter",
            "--rounds",
            "2",
            "--report",
            report.toString(),
            "--registry",
            registry.toString());
    assertEquals(0, run.exitCode(), run.err());
    JsonNode doc = new ObjectMapper().readTree(report.toFile());
    JsonNode versions = doc.get("versions");
    assertEquals(3, versions.size(), "the base model and two rounds");
    String base = versions.get(0).get("version").asText();
    for (int i = 1; i < versions.size(); i++) {
      JsonNode v = versions.get(i);
      assertEquals("PROMOTED", v.get("status").asText(), v.toString());
      assertTrue(
          Files.exists(registry.resolve(v.get("version").asText() + "/bridge.bin")),
          "the version's bundle holds its adapter");
      JsonNode adapter = v.get("bridge");
      assertEquals("adapter", adapter.get("via").asText(), adapter.toString());
      assertTrue(adapter.get("seconds").asDouble() < 30, adapter.toString());
      // The users' searches through /v1/search score what the version scores offline: the
      // adapter is applied to queries, never to documents.
      assertEquals(
          v.get("test/ndcg@10").asDouble(), adapter.get("testNdcg").asDouble(), 1e-4, v.toString());
      assertTrue(
          v.get("test/ndcg@10").asDouble() > versions.get(i - 1).get("test/ndcg@10").asDouble(),
          "each promotion helps: " + v);
    }
    JsonNode store = doc.get("store");
    assertEquals(base, store.get("serving").asText(), "no cut-over: the base version's vectors");
    assertEquals(1, store.get("versions").size(), "no backfill: " + store);
    assertEquals(0, store.get("mixedSearches").asInt());
  }
}
