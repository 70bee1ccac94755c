package io.twinstream.trainer.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Online contrastive loss: the contrastive loss summed over the batch's hard pairs only — positives
 * farther apart than the closest negative, and negatives closer than the farthest positive (with
 * one pair on a side, that side's mean is the threshold instead), as sentence-transformers'
 * OnlineContrastiveLoss selects them. The selection is made on the current distances and is not
 * differentiated.
 */
public final class OnlineContrastiveLoss implements Loss {

  private final float margin;

  public OnlineContrastiveLoss(float margin) {
    if (!(margin > 0) || Float.isInfinite(margin)) {
      throw new IllegalArgumentException("margin must be positive and finite, got " + margin);
    }
    this.margin = margin;
  }

  public OnlineContrastiveLoss() {
    this(ContrastiveLoss.DEFAULT_MARGIN);
  }

  @Override
  public String name() {
    return "online-contrastive";
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
    float[] labels = batch.requireLabels(name());
    NDArray d = m.create(1f).sub(Similarity.pairCosine(m, batch.anchors(), batch.positives()));
    float[] dist = d.toFloatArray();
    double posMax = Double.NEGATIVE_INFINITY;
    double posSum = 0;
    int posCount = 0;
    double negMin = Double.POSITIVE_INFINITY;
    double negSum = 0;
    int negCount = 0;
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] == 1f) {
        posMax = Math.max(posMax, dist[i]);
        posSum += dist[i];
        posCount++;
      } else {
        negMin = Math.min(negMin, dist[i]);
        negSum += dist[i];
        negCount++;
      }
    }
    double negThreshold = posCount > 1 ? posMax : negSum / Math.max(1, negCount);
    double posThreshold = negCount > 1 ? negMin : posSum / Math.max(1, posCount);
    float[] hardPos = new float[labels.length];
    float[] hardNeg = new float[labels.length];
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] == 1f && dist[i] > posThreshold) {
        hardPos[i] = 1f;
      } else if (labels[i] != 1f && dist[i] < negThreshold) {
        hardNeg[i] = 1f;
      }
    }
    NDArray pull = d.mul(d).mul(m.create(hardPos));
    NDArray gap = m.create(margin).sub(d).maximum(m.create(0f));
    NDArray push = gap.mul(gap).mul(m.create(hardNeg));
    return batch.weighted(m, pull.add(push)).sum();
  }

  @Override
  public String toString() {
    return "OnlineContrastiveLoss" + config();
  }
}
