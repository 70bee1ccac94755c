package io.twinstream.cli.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.SentenceEncoder;
import io.twinstream.records.Interaction;
import io.twinstream.records.InteractionType;
import io.twinstream.testkit.ClickModel;
import io.twinstream.trainer.task.RetrievalTask;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Users see the serving version's ranking and click as their {@link ClickModel} says; what comes
 * out is a front end's event log, searches in turn, on a simulated clock that only moves forward.
 */
class SimulatedUsersTest {

  private static SentenceEncoder encoder;

  private static final Map<String, String> CORPUS = new LinkedHashMap<>();
  private static final Map<String, String> QUERIES =
      Map.of("q1", "refund for a broken parcel", "q2", "reset my password");

  static {
    for (int i = 1; i <= 6; i++) {
      CORPUS.put("d" + i, "document number " + i);
    }
  }

  private static final RetrievalTask TASK =
      new RetrievalTask(
          "test", CORPUS, QUERIES, Map.of("q1", Map.of("d3", 1), "q2", Map.of("d6", 1)), Map.of());

  @BeforeAll
  static void open() throws Exception {
    encoder = SentenceEncoder.open(ModelBundle.builtin(ModelBundle.DEFAULT));
  }

  @AfterAll
  static void close() {
    encoder.close();
  }

  /**
   * Vectors whose similarity to {@code query}'s embedding is exactly the given score (d1 first).
   */
  private static CorpusVectors scored(String query, double... scores) {
    float[] q = encoder.encode(QUERIES.get(query)).vector(); // unit length: dot(q, s q) = s
    CorpusVectors vectors = new CorpusVectors(List.copyOf(CORPUS.keySet()));
    for (int i = 0; i < scores.length; i++) {
      float[] v = new float[q.length];
      for (int d = 0; d < q.length; d++) {
        v[d] = (float) (scores[i] * q[d]);
      }
      vectors.put("d" + (i + 1), v);
    }
    return vectors;
  }

  private static final ClickModel ALWAYS_CLICK_RELEVANT = new ClickModel(0, 1, 0);

  @Test
  void theFrontEndLogsAnImpressionPerShownDocumentInRankOrderThenTheClick() {
    SimulatedUsers users =
        new SimulatedUsers(TASK, List.of("q1"), 4, ALWAYS_CLICK_RELEVANT, 7, Instant.now());
    List<Interaction> events = users.search(1, encoder, scored("q1", 0.9, 0.1, 0.5, 0.7, 0.3, 0.2));
    assertEquals(
        List.of("d1", "d4", "d3", "d5", "d3"),
        events.stream().map(e -> e.getDocId().toString()).toList());
    assertEquals(
        List.of(
            InteractionType.IMPRESSION,
            InteractionType.IMPRESSION,
            InteractionType.IMPRESSION,
            InteractionType.IMPRESSION,
            InteractionType.CLICK),
        events.stream().map(Interaction::getType).toList());
    assertEquals(List.of(0, 1, 2, 3, 2), events.stream().map(Interaction::getPosition).toList());
    Interaction click = events.get(4);
    assertEquals("q1", click.getQueryId().toString());
    assertEquals(QUERIES.get("q1"), click.getQueryText().toString());
    assertEquals(
        1,
        events.stream().map(e -> e.getRequestId().toString()).distinct().count(),
        "every event of a search shares its request id");
    assertEquals(
        events.get(0).getTs().plus(ClickModel.FIRST_CLICK_AFTER), click.getTs(), "click after");
  }

  @Test
  void aRelevantDocumentThatIsNotShownGetsNoClick() {
    SimulatedUsers users =
        new SimulatedUsers(TASK, List.of("q1"), 2, ALWAYS_CLICK_RELEVANT, 7, Instant.now());
    List<Interaction> events = users.search(1, encoder, scored("q1", 0.9, 0.8, 0.1, 0.2, 0.3, 0.4));
    assertEquals(List.of("d1", "d2"), events.stream().map(e -> e.getDocId().toString()).toList());
    assertTrue(events.stream().allMatch(e -> e.getType() == InteractionType.IMPRESSION));
  }

  @Test
  void searchesTakeTheTrafficQueriesInTurnAtSimulatedTimesInThePast() {
    Instant start = Instant.now();
    SimulatedUsers users =
        new SimulatedUsers(TASK, List.of("q1", "q2"), 1, ALWAYS_CLICK_RELEVANT, 7, start);
    CorpusVectors vectors = scored("q2", 0.1, 0.2, 0.3, 0.4, 0.5, 0.6);
    List<Interaction> events = users.search(3, encoder, vectors);
    List<Interaction> impressions =
        events.stream().filter(e -> e.getType() == InteractionType.IMPRESSION).toList();
    assertEquals(
        List.of("q1", "q2", "q1"),
        impressions.stream().map(e -> e.getQueryId().toString()).toList());
    assertEquals(
        List.of("search-0", "search-1", "search-2"),
        impressions.stream().map(e -> e.getRequestId().toString()).toList());
    assertEquals(
        SimulatedUsers.SPACING,
        Duration.between(impressions.get(0).getTs(), impressions.get(1).getTs()),
        "searches a fixed simulated time apart within a call");
    assertTrue(
        impressions
            .get(0)
            .getTs()
            .isBefore(
                start
                    .minus(SimulatedUsers.HEAD_START)
                    .plus(SimulatedUsers.SPACING.multipliedBy(2))));
    assertEquals(1, events.size() - impressions.size(), "q2's relevant d6 ranks first for q2");
    Interaction next = users.search(1, encoder, vectors).get(0);
    assertEquals("q2", next.getQueryId().toString(), "and on from there");
    assertFalse(
        next.getTs().isBefore(impressions.get(2).getTs().plus(SimulatedUsers.SPACING)),
        "the clock never goes back");
  }

  @Test
  void positionBiasedUsersClickTheTopMoreOftenThanTheSameResultLower() {
    ClickModel biased = ClickModel.positionBiased(1.0);
    assertEquals(1.0, biased.examination(0));
    assertEquals(0.25, biased.examination(3), 1e-12);
    java.util.Random random = new java.util.Random(1);
    int[] clicks = new int[2];
    for (int i = 0; i < 2_000; i++) {
      for (int at = 0; at < 2; at++) {
        List<String> shown =
            at == 0 ? List.of("d3", "d1", "d2", "d4") : List.of("d1", "d2", "d4", "d3");
        ClickModel.Search search =
            new ClickModel.Search("r", "q1", "q", "u", shown, Map.of("d3", 1));
        clicks[at] +=
            (int)
                biased.interactions(search, Instant.EPOCH, random).stream()
                    .filter(
                        e ->
                            e.getType() == InteractionType.CLICK
                                && e.getDocId().toString().equals("d3"))
                    .count();
      }
    }
    // Expected 0.95 x 2000 = 1900 at rank 0, 0.95 / 4 x 2000 = 475 at rank 3.
    assertEquals(1900, clicks[0], 60);
    assertEquals(475, clicks[1], 60);
  }
}
