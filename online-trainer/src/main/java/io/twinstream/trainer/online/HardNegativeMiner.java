package io.twinstream.trainer.online;

import io.twinstream.trainer.eval.Embedder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Hard negatives for clicks that came without a skipped result: the document the serving model
 * ranks highest for the query among a pool (the round's candidates), that is not the clicked one
 * nor one the query's users clicked, and that scores below {@code guard} × the clicked one's
 * cosine. The guard keeps out false negatives — unjudged documents as good as the clicked one,
 * which a user simply did not click — the way NV-Retriever's "TopK-PercPos" mining does (Moreira et
 * al. 2024, 95% of the positive's score).
 */
public final class HardNegativeMiner {

  /** The default guard: a mined negative scores below 95% of the positive's cosine. */
  public static final double DEFAULT_GUARD = 0.95;

  private final Embedder serving;
  private final double guard;
  private final Map<String, float[]> vectors = new HashMap<>();
  private List<String> pool = List.of();
  private int mined;

  /**
   * @param serving the serving model (through its cache: the round scores it anyway)
   * @param guard in (0, 1]: a mined negative's cosine must be below guard × the positive's
   */
  public HardNegativeMiner(Embedder serving, double guard) {
    if (!(guard > 0 && guard <= 1)) {
      throw new IllegalArgumentException("guard must be in (0, 1], got " + guard);
    }
    this.serving = serving;
    this.guard = guard;
  }

  /** Embeds the pool and the anchors once, in one pass each. */
  void prepare(Set<String> pool, Set<String> anchors) {
    this.pool = new ArrayList<>(pool);
    List<String> texts = new ArrayList<>(new LinkedHashSet<>(this.pool));
    anchors.forEach(
        a -> {
          if (!pool.contains(a)) {
            texts.add(a);
          }
        });
    float[][] embedded = serving.embed(texts);
    for (int i = 0; i < texts.size(); i++) {
      vectors.put(texts.get(i), embedded[i]);
    }
  }

  /**
   * The hard negative for ({@code anchor}, {@code positive}), or null when no pool document passes
   * the guard.
   *
   * @param clicked every document clicked for this anchor (never a negative)
   */
  String mine(String anchor, String positive, Set<String> clicked) {
    float[] q = vectors.get(anchor);
    float[] p = vectors.get(positive);
    if (q == null || p == null) {
      return null;
    }
    double ceiling = guard * Embedder.cosine(q, p);
    String best = null;
    double bestScore = Double.NEGATIVE_INFINITY;
    for (String doc : pool) {
      if (doc.equals(positive) || clicked.contains(doc) || doc.equals(anchor)) {
        continue;
      }
      double s = Embedder.cosine(q, vectors.get(doc));
      if (s < ceiling && s > bestScore) {
        best = doc;
        bestScore = s;
      }
    }
    if (best != null) {
      mined++;
    }
    return best;
  }

  /** Negatives mined so far. */
  public int mined() {
    return mined;
  }
}
