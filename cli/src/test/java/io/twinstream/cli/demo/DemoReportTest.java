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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoReportTest {

  @TempDir Path tmp;

  @Test
  void theReportHasARowPerVersionWithNullForWhatIsNotANumberAndAChartBesideIt() throws Exception {
    DemoReport report = new DemoReport();
    report.base("base-v", 0.25);
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
        Double.NaN,
        3.5,
        RoundFeedback.of(
            2,
            21,
            List.of(
                pair.setWeight(1f).build(),
                pair.setSource("skip-above").setLabel(0f).setWeight(2f).build(),
                pair.setWeight(4f).build())));
    Path json = tmp.resolve("out/report.json");
    report.write(
        json,
        DemoReport.chartBeside(json),
        Map.of("name", "t"),
        Map.of("dead-letters", Map.of("out", 0)),
        Map.of("pairs_out", 3),
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
    assertTrue(Files.readString(tmp.resolve("out/report.html")).contains("<svg"));
    assertTrue(
        DemoReport.line(update, Double.NaN, 3.5)
            .startsWith("version ft-0001                  REJECTED "));
  }
}
