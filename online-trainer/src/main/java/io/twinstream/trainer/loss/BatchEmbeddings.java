package io.twinstream.trainer.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Objects;

/**
 * The sentence embeddings of one training batch: row {@code i} of each array belongs to example
 * {@code i}. For labelled pairs the two sentences are the anchor and positive columns.
 *
 * @param anchors {@code [batch, dim]}
 * @param positives {@code [batch, dim]}
 * @param negatives {@code [batch, dim]}, or {@code null} when the batch has no hard negatives
 * @param labels one label per example, or {@code null} for unlabelled pairs
 * @param weights one weight per example, or {@code null} when all weigh 1
 */
public record BatchEmbeddings(
    NDArray anchors, NDArray positives, NDArray negatives, float[] labels, float[] weights) {

  /** A batch whose examples all weigh 1. */
  public BatchEmbeddings(NDArray anchors, NDArray positives, NDArray negatives, float[] labels) {
    this(anchors, positives, negatives, labels, null);
  }

  public BatchEmbeddings {
    Objects.requireNonNull(anchors, "anchors");
    Objects.requireNonNull(positives, "positives");
    long n = anchors.getShape().get(0);
    if (positives.getShape().get(0) != n
        || (negatives != null && negatives.getShape().get(0) != n)) {
      throw new IllegalArgumentException(
          "anchors, positives and negatives must have the same number of rows: "
              + anchors.getShape()
              + ", "
              + positives.getShape()
              + (negatives == null ? "" : ", " + negatives.getShape()));
    }
    if (labels != null && labels.length != n) {
      throw new IllegalArgumentException(labels.length + " labels for a batch of " + n);
    }
    if (weights != null && weights.length != n) {
      throw new IllegalArgumentException(weights.length + " weights for a batch of " + n);
    }
  }

  /**
   * The mean of per-example terms {@code [batch]}: weighted by the examples' weights ({@code Σ w·x
   * / Σ w}) when the batch has them, plain otherwise.
   */
  NDArray mean(NDManager m, NDArray perExample) {
    if (weights == null) {
      return perExample.mean();
    }
    double total = 0;
    for (float w : weights) {
      total += w;
    }
    return perExample.mul(m.create(weights)).sum().div(m.create((float) total));
  }

  /** Per-example terms {@code [batch]} multiplied by the examples' weights (unchanged without). */
  NDArray weighted(NDManager m, NDArray perExample) {
    return weights == null ? perExample : perExample.mul(m.create(weights));
  }

  /** Examples in the batch. */
  public int size() {
    return (int) anchors.getShape().get(0);
  }

  float[] requireLabels(String loss) {
    if (labels == null) {
      throw new IllegalArgumentException(loss + " needs a label per example");
    }
    return labels;
  }

  NDArray requireNegatives(String loss) {
    if (negatives == null) {
      throw new IllegalArgumentException(loss + " needs a negative per example");
    }
    return negatives;
  }
}
