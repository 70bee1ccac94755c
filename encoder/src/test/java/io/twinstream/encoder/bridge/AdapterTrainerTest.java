package io.twinstream.encoder.bridge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AdapterTrainerTest {

  private static final int D = 16;

  /**
   * Queries and their documents, where a document is its query shifted along one fixed direction
   * plus noise: a shift a query-side map can learn from some queries and apply to others.
   */
  private static List<AdapterTrainer.Example> task(int n, long seed) {
    Random r = new Random(seed);
    List<AdapterTrainer.Example> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      float[] doc = new float[D];
      for (int k = 0; k < D; k++) {
        doc[k] = (float) r.nextGaussian();
      }
      VectorMap.normalise(doc);
      float[] query = doc.clone();
      for (int k = 0; k < D; k++) {
        query[k] += (k < 4 ? 0.9f : 0) + 0.2f * (float) r.nextGaussian();
      }
      VectorMap.normalise(query);
      out.add(new AdapterTrainer.Example(query, doc, null, 1f));
    }
    return out;
  }

  /** Share of queries whose own document is the nearest of all documents. */
  private static double top1(List<AdapterTrainer.Example> examples, VectorMap map) {
    int right = 0;
    for (int i = 0; i < examples.size(); i++) {
      float[] q = map == null ? examples.get(i).query() : map.apply(examples.get(i).query());
      int best = -1;
      double bestScore = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < examples.size(); j++) {
        double s = BridgeFitter.cosine(q, examples.get(j).positive());
        if (s > bestScore) {
          bestScore = s;
          best = j;
        }
      }
      right += best == i ? 1 : 0;
    }
    return right / (double) examples.size();
  }

  @Test
  void anAdapterTrainedOnSomeQueriesFindsOtherQueriesDocuments() {
    List<AdapterTrainer.Example> train = task(600, 1);
    List<AdapterTrainer.Example> heldOut = task(200, 2);
    AdapterTrainer.Result result = new AdapterTrainer(16, 8, 3e-3, 20, 32, 42).train(train, null);
    assertTrue(result.lastLoss() < result.firstLoss(), result.toString());
    double before = top1(heldOut, null);
    double after = top1(heldOut, result.map());
    assertTrue(after > before + 0.2, "held-out top-1 " + before + " -> " + after);
    assertEquals(8 * 19, result.steps()); // 600 examples in batches of 32: 19 a pass
  }

  @Test
  void trainingContinuesFromAnEarlierAdapterWithoutChangingIt() {
    List<AdapterTrainer.Example> train = task(200, 3);
    AdapterTrainer trainer = new AdapterTrainer(8, 2, 1e-3, 20, 32, 42);
    ResidualMap first = trainer.train(train, null).map();
    float[] up = first.up().clone();
    ResidualMap second = trainer.train(train, first).map();
    assertArrayEquals(up, first.up(), 0f, "the earlier adapter is copied, not trained in place");
    assertTrue(top1(train, second) >= top1(train, first) - 0.01);
    assertThrows(
        IllegalArgumentException.class,
        () ->
            trainer.train(
                train,
                new ResidualMap(8, 2, new float[16], new float[2], new float[16], new float[8])));
  }

  @Test
  void noExamplesAreRefused() {
    var e =
        assertThrows(
            IllegalArgumentException.class, () -> AdapterTrainer.defaults().train(List.of(), null));
    assertTrue(e.getMessage().contains("no examples"));
  }
}
