package io.twinstream.trainer.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Semantic textual similarity: how well the cosine similarity of each pair's vectors ranks the
 * pairs as the gold scores do. Metrics {@code spearman} (primary) and {@code pearson} of cosine vs
 * gold.
 */
public final class SimilarityEvaluator implements Evaluator {

  private final List<String> first;
  private final List<String> second;
  private final double[] gold;

  /**
   * @param first the first sentence of each pair
   * @param second the second sentence of each pair
   * @param gold each pair's gold similarity (any scale)
   */
  public SimilarityEvaluator(List<String> first, List<String> second, double[] gold) {
    if (first.size() != second.size() || first.size() != gold.length) {
      throw new IllegalArgumentException(
          "need as many first sentences, second sentences and scores: "
              + first.size()
              + ", "
              + second.size()
              + ", "
              + gold.length);
    }
    if (first.size() < 2) {
      throw new IllegalArgumentException("need at least 2 pairs, got " + first.size());
    }
    this.first = List.copyOf(first);
    this.second = List.copyOf(second);
    this.gold = gold.clone();
  }

  /** Pairs evaluated. */
  public int size() {
    return gold.length;
  }

  @Override
  public Evaluation evaluate(Embedder embedder) {
    List<String> all = new ArrayList<>(first);
    all.addAll(second);
    float[][] v = embedder.embedAll(all, 64, done -> {});
    double[] cos = new double[gold.length];
    for (int i = 0; i < cos.length; i++) {
      cos[i] = Embedder.cosine(v[i], v[gold.length + i]);
    }
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put("spearman", Ranks.spearman(cos, gold));
    metrics.put("pearson", Ranks.pearson(cos, gold));
    return new Evaluation("spearman", metrics);
  }
}
