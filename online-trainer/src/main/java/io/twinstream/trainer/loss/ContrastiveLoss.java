package io.twinstream.trainer.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Contrastive loss on the cosine distance {@code d = 1 - cos(a, b)} of labelled pairs: similar
 * pairs (label 1) are pulled together ({@code d²}), dissimilar pairs (label 0) pushed apart until
 * {@code d >= margin} ({@code max(0, margin - d)²}); the mean of half those terms over the batch
 * (Hadsell et al. 2006, as in sentence-transformers' ContrastiveLoss).
 */
public final class ContrastiveLoss implements Loss {

  /** sentence-transformers' default margin for the cosine distance. */
  public static final float DEFAULT_MARGIN = 0.5f;

  private final float margin;

  public ContrastiveLoss(float margin) {
    if (!(margin > 0) || Float.isInfinite(margin)) {
      throw new IllegalArgumentException("margin must be positive and finite, got " + margin);
    }
    this.margin = margin;
  }

  public ContrastiveLoss() {
    this(DEFAULT_MARGIN);
  }

  @Override
  public String name() {
    return "contrastive";
  }

  @Override
  public Map<String, Object> config() {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("margin", (double) margin);
    c.put("distance", "cosine");
    return c;
  }

  @Override
  public LossInputs inputs() {
    return LossInputs.BINARY_LABEL;
  }

  @Override
  public NDArray compute(NDManager m, BatchEmbeddings batch) {
    NDArray labels = m.create(batch.requireLabels(name()));
    NDArray d = m.create(1f).sub(Similarity.pairCosine(m, batch.anchors(), batch.positives()));
    NDArray pull = d.mul(d).mul(labels);
    NDArray gap = m.create(margin).sub(d).maximum(m.create(0f));
    NDArray push = gap.mul(gap).mul(m.create(1f).sub(labels));
    return batch.mean(m, pull.add(push).mul(m.create(0.5f)));
  }

  @Override
  public String toString() {
    return "ContrastiveLoss" + config();
  }
}
