package io.twinstream.cli.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.SentenceEncoder;
import io.twinstream.records.FeedbackPair;
import io.twinstream.trainer.task.RetrievalTask;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Users click the relevant document when it is shown and skip every other one, in rank order. */
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

  @Test
  void theRelevantShownDocumentIsClickedAndTheOthersSkippedInRankOrder() {
    SimulatedUsers users = new SimulatedUsers(TASK, List.of("q1"), 4);
    Instant now = Instant.ofEpochMilli(123);
    List<FeedbackPair> pairs =
        users.search(1, encoder, scored("q1", 0.9, 0.1, 0.5, 0.7, 0.3, 0.2), now);
    assertEquals(
        List.of("d1", "d4", "d3", "d5"), pairs.stream().map(FeedbackPair::getCandidateId).toList());
    assertEquals(List.of(0f, 0f, 1f, 0f), pairs.stream().map(FeedbackPair::getLabel).toList());
    assertEquals(
        List.of("skip", "skip", "click", "skip"),
        pairs.stream().map(FeedbackPair::getSource).toList());
    FeedbackPair click = pairs.get(2);
    assertEquals(QUERIES.get("q1"), click.getAnchor());
    assertEquals("q1", click.getAnchorId());
    assertEquals(CORPUS.get("d3"), click.getCandidate());
    assertEquals(now, click.getEventTime());
  }

  @Test
  void aRelevantDocumentThatIsNotShownGetsNoClick() {
    SimulatedUsers users = new SimulatedUsers(TASK, List.of("q1"), 2);
    List<FeedbackPair> pairs =
        users.search(1, encoder, scored("q1", 0.9, 0.8, 0.1, 0.2, 0.3, 0.4), Instant.EPOCH);
    assertEquals(List.of("d1", "d2"), pairs.stream().map(FeedbackPair::getCandidateId).toList());
    assertEquals(List.of(0f, 0f), pairs.stream().map(FeedbackPair::getLabel).toList());
  }

  @Test
  void searchesTakeTheTrafficQueriesInTurn() {
    SimulatedUsers users = new SimulatedUsers(TASK, List.of("q1", "q2"), 1);
    CorpusVectors vectors = scored("q2", 0.1, 0.2, 0.3, 0.4, 0.5, 0.6);
    List<FeedbackPair> pairs = users.search(3, encoder, vectors, Instant.EPOCH);
    assertEquals(List.of("q1", "q2", "q1"), pairs.stream().map(FeedbackPair::getAnchorId).toList());
    assertEquals(1f, pairs.get(1).getLabel(), "q2's relevant d6 ranks first for q2");
    assertEquals(
        "q2",
        users.search(1, encoder, vectors, Instant.EPOCH).get(0).getAnchorId(),
        "and on from there");
  }
}
