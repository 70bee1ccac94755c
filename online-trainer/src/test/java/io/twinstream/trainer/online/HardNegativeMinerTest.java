package io.twinstream.trainer.online;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.SentenceEmbedding;
import io.twinstream.encoder.SentenceEncoder;
import io.twinstream.trainer.TrainingExample;
import io.twinstream.trainer.eval.Embedder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class HardNegativeMinerTest {

  private static SentenceEncoder encoder;
  private static Embedder model;

  @BeforeAll
  static void open() throws Exception {
    encoder = SentenceEncoder.open(ModelBundle.builtin(ModelBundle.DEFAULT));
    model =
        texts ->
            encoder.encode(texts).stream().map(SentenceEmbedding::vector).toArray(float[][]::new);
  }

  @AfterAll
  static void close() {
    encoder.close();
  }

  private static final String QUERY = "database connection pool exhausted";
  private static final String CLICKED =
      "The database connection pool is exhausted and requests wait for a free connection.";
  private static final String SAME_AS_CLICKED =
      "The connection pool of the database is exhausted and requests wait for a free connection.";
  private static final String NEAR_MISS =
      "The database replica lags hours behind the primary and reads are stale.";
  private static final String FAR = "Switch the mobile application to a dark colour theme.";

  @Test
  void aClickWithoutSkipsGetsTheServingModelsBestUnclickedDocumentBelowTheGuard() {
    List<Feedback> feedback = new ArrayList<>();
    feedback.add(new Feedback(QUERY, CLICKED, 1f, 0));
    // Other searches' documents form the pool.
    feedback.add(new Feedback("replica lag", NEAR_MISS, 1f, 1));
    feedback.add(new Feedback("replica lag", FAR, 0f, 1));
    feedback.add(new Feedback("pool", SAME_AS_CLICKED, 1f, 2));
    feedback.add(new Feedback("pool", FAR, 0f, 2));
    HardNegativeMiner miner = new HardNegativeMiner(model, 0.95);

    List<TrainingExample> examples = FeedbackExamples.training(feedback, miner);

    // The clicked report's paraphrase scores 0.710 for the query, above 95% of the clicked one's
    // 0.734: a false negative, kept out. The replica report (0.373) is the hardest one below.
    assertEquals(TrainingExample.triplet(QUERY, CLICKED, NEAR_MISS), examples.get(0));
    assertEquals(1, miner.mined(), "only the click without a skipped result is mined for");
    assertEquals(TrainingExample.triplet("replica lag", NEAR_MISS, FAR), examples.get(1));
  }

  @Test
  void whenNothingPassesTheGuardEveryExampleStaysAPair() {
    List<Feedback> feedback =
        List.of(
            new Feedback(QUERY, CLICKED, 1f, 0),
            new Feedback("pool", SAME_AS_CLICKED, 1f, 1),
            new Feedback("pool", FAR, 0f, 1));
    // A guard so low that nothing scores under it.
    HardNegativeMiner miner = new HardNegativeMiner(model, 0.01);
    List<TrainingExample> examples = FeedbackExamples.training(feedback, miner);
    assertNull(examples.get(0).negative());
    assertNull(examples.get(1).negative(), "a batch is all triplets or all pairs");
    assertEquals(0, miner.mined());
  }

  @Test
  void withoutAMinerSkippedResultsAreTheOnlyNegatives() {
    List<TrainingExample> examples =
        FeedbackExamples.training(
            List.of(new Feedback("pool", CLICKED, 1f, 0), new Feedback("pool", FAR, 0f, 0)), null);
    assertEquals(List.of(TrainingExample.triplet("pool", CLICKED, FAR)), examples);
    assertThrows(IllegalArgumentException.class, () -> new HardNegativeMiner(model, 0));
    assertThrows(IllegalArgumentException.class, () -> new HardNegativeMiner(model, 1.5));
  }
}
