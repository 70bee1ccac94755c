package io.twinstream.trainer.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Multiple negatives ranking loss (in-batch negatives): for each anchor, its positive must score
 * higher than every other positive in the batch and every hard negative. Cross-entropy over {@code
 * scale * cos(anchor_i, candidate_j)}, the candidates being all positives followed by all
 * negatives, the target being {@code j = i}. With {@code symmetric}, the same is also asked from
 * the positives' side (positive {@code i} must pick anchor {@code i} among all anchors) and the two
 * are averaged, as sentence-transformers' MultipleNegativesSymmetricRankingLoss does.
 */
public final class MultipleNegativesRankingLoss implements Loss {

  /** sentence-transformers' default scale (inverse temperature). */
  public static final float DEFAULT_SCALE = 20f;

  private final float scale;
  private final boolean symmetric;

  public MultipleNegativesRankingLoss(float scale, boolean symmetric) {
    if (!(scale > 0) || Float.isInfinite(scale)) {
      throw new IllegalArgumentException("scale must be positive and finite, got " + scale);
    }
    this.scale = scale;
    this.symmetric = symmetric;
  }

  /** Scale 20, one-sided. */
  public MultipleNegativesRankingLoss() {
    this(DEFAULT_SCALE, false);
  }

  @Override
  public String name() {
    return "mnrl";
  }

  @Override
  public Map<String, Object> config() {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("scale", (double) scale);
    c.put("symmetric", symmetric);
    return c;
  }

  @Override
  public LossInputs inputs() {
    return LossInputs.ANCHOR_POSITIVE;
  }

  @Override
  public NDArray compute(NDManager m, BatchEmbeddings batch) {
    NDArray candidates =
        batch.negatives() == null
            ? batch.positives()
            : batch.positives().concat(batch.negatives(), 0);
    NDArray scale = m.create(this.scale);
    NDArray scores =
        Similarity.cosineMatrix(m, batch.anchors(), candidates).mul(scale); // [n, n or 2n]
    NDArray forward = batch.mean(m, Similarity.diagonal(m, scores.logSoftmax(1))).neg();
    if (!symmetric) {
      return forward;
    }
    long n = batch.size();
    NDArray backward =
        batch
            .mean(
                m,
                Similarity.diagonal(
                    m, scores.get(new NDIndex(":, 0:{}", n)).transpose().logSoftmax(1)))
            .neg();
    return forward.add(backward).div(m.create(2f));
  }

  @Override
  public String toString() {
    return "MultipleNegativesRankingLoss" + config();
  }
}
