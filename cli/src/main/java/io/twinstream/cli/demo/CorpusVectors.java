package io.twinstream.cli.demo;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One model version's vectors of a corpus, as the job emitted them, with exact top-k search by dot
 * product (cosine: the vectors are normalised). Ties keep the corpus order, so a search is
 * deterministic.
 */
public final class CorpusVectors implements Ranker {

  private final List<String> order;
  private final Map<String, float[]> vectors = new HashMap<>();

  /** An empty set for a corpus whose documents come in {@code order}. */
  public CorpusVectors(List<String> order) {
    this.order = List.copyOf(order);
  }

  /** The vectors of {@code version} the store holds for the documents {@code ids}. */
  public static CorpusVectors fromStore(
      io.twinstream.store.VectorStore store, String version, List<String> ids) {
    CorpusVectors vectors = new CorpusVectors(ids);
    for (String id : ids) {
      store.get(id, version).ifPresent(row -> vectors.put(id, row.vector()));
    }
    return vectors;
  }

  /** Sets the vector of document {@code id}. */
  public void put(String id, float[] vector) {
    vectors.put(id, vector);
  }

  /** The vector of {@code id}, or null. */
  public float[] get(String id) {
    return vectors.get(id);
  }

  /** Documents with a vector. */
  public int size() {
    return vectors.size();
  }

  /** Whether every document of the corpus has a vector. */
  public boolean complete() {
    return vectors.size() == order.size() && order.stream().allMatch(vectors::containsKey);
  }

  /** The {@code k} documents most similar to {@code query}, best first. */
  @Override
  public List<String> topK(float[] query, int k) {
    if (!complete()) {
      throw new IllegalStateException(
          "only " + vectors.size() + " of " + order.size() + " documents have vectors");
    }
    Map<String, Double> score = new HashMap<>();
    for (String id : order) {
      float[] v = vectors.get(id);
      double s = 0;
      for (int d = 0; d < query.length; d++) {
        s += query[d] * v[d];
      }
      score.put(id, s);
    }
    List<String> ids = new ArrayList<>(order);
    ids.sort((a, b) -> Double.compare(score.get(b), score.get(a)));
    return ids.subList(0, Math.min(k, ids.size()));
  }
}
