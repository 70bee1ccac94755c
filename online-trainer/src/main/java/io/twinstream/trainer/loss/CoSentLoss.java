package io.twinstream.trainer.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CoSENT loss for graded similarity labels: every pair of examples whose labels are ordered ({@code
 * label_i < label_j}) should have cosine similarities ordered the same way; {@code log(1 + Σ
 * exp(scale·(cos_i - cos_j)))} over those ordered pairs (Su 2022; sentence-transformers'
 * CoSENTLoss). Only the order of labels matters, so any graded scale works.
 */
public final class CoSentLoss implements Loss {

  /** sentence-transformers' default scale. */
  public static final float DEFAULT_SCALE = 20f;

  private final float scale;

  public CoSentLoss(float scale) {
    if (!(scale > 0) || Float.isInfinite(scale)) {
      throw new IllegalArgumentException("scale must be positive and finite, got " + scale);
    }
    this.scale = scale;
  }

  public CoSentLoss() {
    this(DEFAULT_SCALE);
  }

  @Override
  public String name() {
    return "cosent";
  }

  @Override
  public Map<String, Object> config() {
    return new LinkedHashMap<>(Map.of("scale", (double) scale));
  }

  @Override
  public LossInputs inputs() {
    return LossInputs.GRADED_LABEL;
  }

  @Override
  public NDArray compute(NDManager m, BatchEmbeddings batch) {
    float[] labels = batch.requireLabels(name());
    int n = labels.length;
    NDArray s = Similarity.pairCosine(m, batch.anchors(), batch.positives()).mul(m.create(scale));
    // diff[i, j] = s_i - s_j, kept where label_i < label_j and pushed to -inf elsewhere.
    NDArray diff = s.reshape(n, 1).sub(s.reshape(1, n));
    // With example weights, term (i, j) counts w_i * w_j times: exp(t + log(w_i w_j)).
    float[] weights = batch.weights();
    float[] off = new float[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        off[i * n + j] =
            labels[i] < labels[j]
                ? (weights == null ? 0f : (float) Math.log((double) weights[i] * weights[j]))
                : -1e12f;
      }
    }
    NDArray terms =
        m.zeros(new Shape(1), s.getDataType())
            .concat(diff.add(m.create(off, new Shape(n, n))).reshape(n * n), 0);
    // log(exp(0) + Σ exp(terms)) = -logSoftmax(terms)[0]
    return terms.logSoftmax(0).get(0).neg();
  }

  @Override
  public String toString() {
    return "CoSentLoss" + config();
  }
}
