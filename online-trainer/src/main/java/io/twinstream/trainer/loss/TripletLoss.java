package io.twinstream.trainer.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Triplet loss {@code max(0, d(anchor, positive) - d(anchor, negative) + margin)}, averaged over
 * the batch.
 *
 * <p>Batch-hard variant: the negative of anchor {@code i} is the closest candidate in the batch
 * that is not its positive — every other example's positive and every hard negative — so plain
 * (anchor, positive) pairs are enough (Hermans et al. 2017, "In Defense of the Triplet Loss", with
 * the batch's other positives as negatives).
 */
public final class TripletLoss implements Loss {

  /** How distances are measured. */
  public enum Distance {
    /** {@code ||a - b||}; sentence-transformers' default, with margin 5. */
    EUCLIDEAN,
    /** {@code 1 - cos(a, b)}. */
    COSINE
  }

  /** sentence-transformers' default margin (for Euclidean distance). */
  public static final float DEFAULT_MARGIN = 5f;

  private final float margin;
  private final Distance distance;
  private final boolean batchHard;

  public TripletLoss(float margin, Distance distance, boolean batchHard) {
    if (!(margin >= 0) || Float.isInfinite(margin)) {
      throw new IllegalArgumentException("margin must be non-negative and finite, got " + margin);
    }
    this.margin = margin;
    this.distance = distance;
    this.batchHard = batchHard;
  }

  /** Euclidean distance, margin 5, given negatives. */
  public TripletLoss() {
    this(DEFAULT_MARGIN, Distance.EUCLIDEAN, false);
  }

  @Override
  public String name() {
    return batchHard ? "batch-hard-triplet" : "triplet";
  }

  @Override
  public Map<String, Object> config() {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("margin", (double) margin);
    c.put("distance", distance.name().toLowerCase(Locale.ROOT));
    c.put("batchHard", batchHard);
    return c;
  }

  @Override
  public LossInputs inputs() {
    return batchHard ? LossInputs.ANCHOR_POSITIVE : LossInputs.TRIPLET;
  }

  @Override
  public NDArray compute(NDManager m, BatchEmbeddings batch) {
    NDArray a = batch.anchors();
    NDArray p = batch.positives();
    NDArray dap = pairDistance(m, a, p);
    NDArray dan;
    if (!batchHard) {
      dan = pairDistance(m, a, batch.requireNegatives(name()));
    } else {
      int n = batch.size();
      // Own positive excluded by adding a large distance on the diagonal.
      NDArray own = m.eye(n, n, 0, a.getDataType()).mul(m.create(1e6f));
      NDArray candidates = distanceMatrix(m, a, p).add(own);
      if (batch.negatives() != null) {
        candidates = candidates.concat(distanceMatrix(m, a, batch.negatives()), 1);
      }
      dan = candidates.min(new int[] {1});
    }
    return batch.mean(m, dap.sub(dan).add(m.create(margin)).maximum(m.create(0f)));
  }

  private NDArray pairDistance(NDManager m, NDArray a, NDArray b) {
    return distance == Distance.EUCLIDEAN
        ? Similarity.pairEuclidean(m, a, b)
        : m.create(1f).sub(Similarity.pairCosine(m, a, b));
  }

  private NDArray distanceMatrix(NDManager m, NDArray a, NDArray b) {
    return distance == Distance.EUCLIDEAN
        ? Similarity.euclideanMatrix(m, a, b)
        : m.create(1f).sub(Similarity.cosineMatrix(m, a, b));
  }

  @Override
  public String toString() {
    return "TripletLoss" + config();
  }
}
