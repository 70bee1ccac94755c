package io.twinstream.trainer.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EvaluatorsTest {

  /** A transparent embedder: counts of the words "cat", "dog", "car" in the text. */
  private static final Embedder WORDS =
      texts ->
          texts.stream()
              .map(
                  t -> {
                    String s = t.toLowerCase(Locale.ROOT);
                    return new float[] {count(s, "cat"), count(s, "dog"), count(s, "car")};
                  })
              .toArray(float[][]::new);

  private static float count(String s, String word) {
    return s.split("\\b" + word + "\\b", -1).length - 1;
  }

  @Test
  void spearmanMatchesTheTextbookFormulaAndAveragesTies() {
    assertEquals(0.8, Ranks.spearman(new double[] {1, 2, 3, 4}, new double[] {1, 3, 2, 4}), 1e-12);
    assertEquals(-1.0, Ranks.spearman(new double[] {1, 2, 3}, new double[] {30, 20, 10}), 1e-12);
    assertEquals(
        List.of(1.0, 2.5, 2.5, 4.0),
        Arrays.stream(Ranks.averageRanks(new double[] {1, 5, 5, 9})).boxed().toList());
  }

  @Test
  void similarityEvaluatorCorrelatesCosineWithGold() {
    SimilarityEvaluator sts =
        new SimilarityEvaluator(
            List.of("cat", "cat", "cat dog", "car"),
            List.of("cat", "dog", "cat car", "cat"),
            new double[] {5, 1, 3, 0});
    // cosines: 1, 0, 0.5, 0 -> ranks 4, 1.5, 3, 1.5 vs gold ranks 4, 2, 3, 1
    Evaluation e = sts.evaluate(WORDS);
    assertEquals("spearman", e.primary());
    assertEquals(
        Ranks.pearson(new double[] {4, 1.5, 3, 1.5}, new double[] {4, 2, 3, 1}),
        e.primaryValue(),
        1e-9);
  }

  @Test
  void binaryClassificationFindsTheBestThresholdAndAveragePrecision() {
    Evaluation e =
        BinaryClassificationEvaluator.metrics(
            new double[] {0.9, 0.8, 0.3, 0.1}, new boolean[] {true, false, true, false});
    assertEquals((1 + 2.0 / 3) / 2, e.metrics().get("average_precision"), 1e-12);
    assertEquals(0.75, e.metrics().get("accuracy"), 1e-12);
    assertEquals(0.85, e.metrics().get("threshold"), 1e-12);
  }

  @Test
  void retrievalMetricsMatchHandWorkedRankings() {
    Map<String, String> corpus = new LinkedHashMap<>();
    for (String d : List.of("d1", "d2", "d3")) {
      corpus.put(d, d);
    }
    Map<String, String> queries = new LinkedHashMap<>();
    queries.put("q1", "q1");
    queries.put("q2", "q2");
    queries.put("q3", "no judgement");
    RetrievalEvaluator r =
        new RetrievalEvaluator(
            corpus, queries, Map.of("q1", Map.of("d1", 1), "q2", Map.of("d1", 2, "d3", 1)));
    assertEquals(2, r.queryCount());
    Evaluation e = r.score(List.of(List.of("d2", "d1", "d3"), List.of("d3", "d1", "d2")));
    double ndcg1 = (1 / log2(3)) / 1;
    double ndcg2 = (1 + 2 / log2(3)) / (2 + 1 / log2(3));
    assertEquals((ndcg1 + ndcg2) / 2, e.metrics().get("ndcg@10"), 1e-12);
    assertEquals((0.5 + 1) / 2, e.metrics().get("mrr@10"), 1e-12);
    assertEquals((0 + 0.5) / 2, e.metrics().get("recall@1"), 1e-12);
    assertEquals(1.0, e.metrics().get("recall@5"), 1e-12);
    assertEquals((0.5 + (1 + 1) / 2.0) / 2, e.metrics().get("map@100"), 1e-12);
    assertEquals("ndcg@10", e.primary());
  }

  @Test
  void retrievalEvaluatorRanksByCosine() {
    Map<String, String> corpus = new LinkedHashMap<>();
    corpus.put("a", "a dog and a dog");
    corpus.put("b", "my car");
    corpus.put("c", "the cat");
    RetrievalEvaluator r =
        new RetrievalEvaluator(corpus, Map.of("q", "cat"), Map.of("q", Map.of("c", 1)));
    Evaluation e = r.evaluate(WORDS);
    assertEquals(1.0, e.primaryValue(), 1e-12);
    RetrievalEvaluator wrong =
        new RetrievalEvaluator(corpus, Map.of("q", "car"), Map.of("q", Map.of("c", 1)));
    // "b" first, then the tie of "a" and "c" in corpus order: "c" is third
    assertEquals(1.0 / 3, wrong.evaluate(WORDS).metrics().get("mrr@10"), 1e-12);
  }

  @Test
  void evaluatorsRefuseDataTheyCannotScore() {
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new RetrievalEvaluator(
                Map.of("d", "d"), Map.of("q", "q"), Map.of("q", Map.of("d", 0))));
    assertThrows(
        IllegalArgumentException.class,
        () -> new SimilarityEvaluator(List.of("a"), List.of("b", "c"), new double[] {1}));
  }

  private static double log2(double x) {
    return Math.log(x) / Math.log(2);
  }
}
