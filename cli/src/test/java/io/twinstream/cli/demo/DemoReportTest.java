package io.twinstream.cli.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.twinstream.records.FeedbackPair;
import io.twinstream.records.ModelStatus;
import io.twinstream.records.ModelUpdate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoReportTest {

  @TempDir Path tmp;

  @Test
  void theReportHasARowPerVersionWithNullForWhatIsNotANumberAndAChartBesideIt() throws Exception {
    DemoReport report = new DemoReport();
    report.base("base-v", new TestScores(Map.of("t1", 0.5, "t2", 0.0)));
    ModelUpdate update =
        ModelUpdate.newBuilder()
            .setVersion("ft-0001")
            .setParentVersion("base-v")
            .setUri("file:/r")
            .setSha256("")
            .setStatus(ModelStatus.REJECTED)
            .setMetrics(
                Map.of("round/pairs", 12.0, "round/last-loss", Double.NaN, "fixed/ndcg@10", 0.2))
            .setCreatedAt(Instant.EPOCH)
            .setReason("fixed: worse")
            .build();
    FeedbackPair.Builder pair =
        FeedbackPair.newBuilder()
            .setAnchor("q")
            .setCandidate("d")
            .setLabel(1f)
            .setSource("click")
            .setEventTime(Instant.EPOCH);
    report.round(
        update,
        null,
        3.5,
        RoundFeedback.of(
            2,
            21,
            List.of(
                pair.setWeight(1f).build(),
                pair.setSource("skip-above").setLabel(0f).setWeight(2f).build(),
                pair.setWeight(4f).build())),
        null);
    Path json = tmp.resolve("out/report.json");
    report.byClicks(Set.of(), Map.of(), Map.of("test", List.of("t1", "t2")));
    report.write(
        json,
        DemoReport.chartBeside(json),
        new DemoSummaries.Task("t", 10, 5, 3, 2),
        Map.of("dead-letters", DemoSummaries.TopicFlow.out(0)),
        new DemoSummaries.Joiner(Map.of("pairs_out", 3L), 2.0),
        "/r");

    JsonNode doc = new ObjectMapper().readTree(json.toFile());
    assertEquals(DemoReport.METRIC, doc.get("metric").asText());
    assertEquals("BASE", doc.get("versions").get(0).get("status").asText());
    assertEquals(0.25, doc.get("versions").get(0).get("test/ndcg@10").asDouble());
    JsonNode round = doc.get("versions").get(1);
    assertEquals("REJECTED", round.get("status").asText());
    assertTrue(round.get("test/ndcg@10").isNull());
    assertTrue(round.get("lastLoss").isNull());
    assertEquals(12, round.get("pairsUsed").asInt());
    assertEquals(3.5, round.get("roundSeconds").asDouble());
    assertEquals(0.2, round.get("metrics").get("fixed/ndcg@10").asDouble());
    assertEquals("fixed: worse", round.get("gate").asText());
    JsonNode feedback = round.get("feedback");
    assertEquals(2, feedback.get("searches").asInt());
    assertEquals(21, feedback.get("events").asInt());
    assertEquals(3, feedback.get("pairs").asInt());
    assertEquals(1, feedback.get("bySource").get("click").get("pairs").asInt());
    assertEquals(2, feedback.get("bySource").get("skip-above").get("pairs").asInt());
    assertEquals(3.0, feedback.get("bySource").get("skip-above").get("meanWeight").asDouble());
    assertEquals(3, doc.get("joiner").get("pairs_out").asInt());
    assertEquals(2.0, doc.get("joiner").get("mean_weight").asDouble());
    assertEquals(0, doc.get("topics").get("dead-letters").get("out").asInt());
    assertTrue(!doc.get("topics").get("dead-letters").has("in"), "only what was counted");
    assertEquals(10, doc.get("task").get("documents").asInt());
    assertTrue(doc.get("versions").get(0).get("parent").isNull(), "the base has no parent");
    assertTrue(!doc.get("versions").get(0).has("feedback"), "nor feedback");
    assertTrue(Files.readString(tmp.resolve("out/report.html")).contains("<svg"));
    assertTrue(
        DemoReport.line(update, Double.NaN, 3.5)
            .startsWith("version ft-0001                  REJECTED "));
  }

  @Test
  void everyVersionIsScoredOnTheQueriesWhoseDocumentsUsersClickedAndOnTheOthers() throws Exception {
    DemoReport report = new DemoReport();
    // Test queries: s1 and s2 about the clicked document d1, u1 about d2 that nobody clicked; two
    // test sets of the task.
    report.base("base-v", new TestScores(Map.of("s1", 0.5, "s2", 0.5, "u1", 1.0)));
    ModelUpdate update =
        ModelUpdate.newBuilder()
            .setVersion("ft-0001")
            .setParentVersion("base-v")
            .setUri("file:/r")
            .setSha256("x")
            .setStatus(ModelStatus.PROMOTED)
            .setMetrics(Map.of())
            .setCreatedAt(Instant.EPOCH)
            .setReason("better")
            .build();
    report.round(
        update,
        new TestScores(Map.of("s1", 1.0, "s2", 0.0, "u1", 0.25)),
        1.0,
        RoundFeedback.of(1, 2, List.of()),
        null);
    List<String> lines =
        report.byClicks(
            Set.of("d1"),
            Map.of("s1", Map.of("d1", 1), "s2", Map.of("d1", 1, "d3", 0), "u1", Map.of("d2", 1)),
            Map.of("test-a", List.of("s1", "u1"), "test-b", List.of("s2")));
    assertEquals(3, lines.size(), String.join("\n", lines));
    assertTrue(
        lines.get(0).contains("seen (2)") && lines.get(0).contains("unseen (1)"), lines.get(0));
    Path json = tmp.resolve("report.json");
    report.write(
        json,
        null,
        new DemoSummaries.Task("t", 10, 5, 3, 2),
        Map.of(),
        new DemoSummaries.Joiner(Map.of(), Double.NaN),
        "/r");
    JsonNode byClicks = new ObjectMapper().readTree(json.toFile()).get("testByClicks");
    assertEquals(1, byClicks.get("clickedDocuments").asInt());
    JsonNode ft = byClicks.get("versions").get(1);
    assertEquals("ft-0001", ft.get("version").asText());
    assertEquals(0.5, ft.get("seen").asDouble(), 1e-12);
    assertEquals(0.25, ft.get("unseen").asDouble(), 1e-12);
    assertEquals((1.0 + 0.25) / 2, ft.get("test-a").asDouble(), 1e-12);
    assertEquals(0.5, byClicks.get("versions").get(0).get("seen").asDouble(), 1e-12);
  }
}
