package io.twinstream.trainer.loss;

import ai.djl.ndarray.NDArray;
import java.util.Objects;

/**
 * The sentence embeddings of one training batch: row {@code i} of each array belongs to example
 * {@code i}. For labelled pairs the two sentences are the anchor and positive columns.
 *
 * @param anchors {@code [batch, dim]}
 * @param positives {@code [batch, dim]}
 * @param negatives {@code [batch, dim]}, or {@code null} when the batch has no hard negatives
 * @param labels one label per example, or {@code null} for unlabelled pairs
 */
public record BatchEmbeddings(
    NDArray anchors, NDArray positives, NDArray negatives, float[] labels) {

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
