package io.twinstream.trainer.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Pair classification by cosine similarity: {@code accuracy} at the best threshold, that {@code
 * threshold}, and {@code average_precision} (primary) of ranking the pairs by cosine, similar pairs
 * (label 1) being the relevant ones.
 */
public final class BinaryClassificationEvaluator implements Evaluator {

  private final List<String> first;
  private final List<String> second;
  private final boolean[] similar;

  public BinaryClassificationEvaluator(List<String> first, List<String> second, boolean[] similar) {
    if (first.size() != second.size() || first.size() != similar.length || similar.length == 0) {
      throw new IllegalArgumentException(
          "need as many (at least one) first sentences, second sentences and labels: "
              + first.size()
              + ", "
              + second.size()
              + ", "
              + similar.length);
    }
    this.first = List.copyOf(first);
    this.second = List.copyOf(second);
    this.similar = similar.clone();
  }

  @Override
  public Evaluation evaluate(Embedder embedder) {
    List<String> all = new ArrayList<>(first);
    all.addAll(second);
    float[][] v = embedder.embedAll(all, 64, done -> {});
    double[] cos = new double[similar.length];
    for (int i = 0; i < cos.length; i++) {
      cos[i] = Embedder.cosine(v[i], v[similar.length + i]);
    }
    return metrics(cos, similar);
  }

  /** The metrics for given scores and labels (exposed for tests). */
  static Evaluation metrics(double[] scores, boolean[] similar) {
    int n = scores.length;
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingDouble((Integer i) -> scores[i]).reversed());
    int positives = 0;
    for (boolean s : similar) {
      positives += s ? 1 : 0;
    }
    // Predict "similar" for the top k by score; the best k gives the best accuracy. Ties move
    // together.
    int hits = 0;
    double apSum = 0;
    int bestCorrect = n - positives; // k = 0: everything predicted dissimilar
    double bestThreshold = scores[order[0]] + 1e-6;
    int i = 0;
    while (i < n) {
      int j = i;
      while (j + 1 < n && scores[order[j + 1]] == scores[order[i]]) {
        j++;
      }
      for (int k = i; k <= j; k++) {
        if (similar[order[k]]) {
          hits++;
          apSum += (double) hits / (k + 1);
        }
      }
      int k = j + 1; // predicted similar
      int correct = hits + (n - k - (positives - hits));
      if (correct > bestCorrect) {
        bestCorrect = correct;
        bestThreshold =
            j + 1 < n ? (scores[order[j]] + scores[order[j + 1]]) / 2 : scores[order[j]] - 1e-6;
      }
      i = j + 1;
    }
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("average_precision", positives == 0 ? 0.0 : apSum / positives);
    m.put("accuracy", (double) bestCorrect / n);
    m.put("threshold", bestThreshold);
    return new Evaluation("average_precision", m);
  }
}
