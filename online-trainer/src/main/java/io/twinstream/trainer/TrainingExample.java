package io.twinstream.trainer;

import io.twinstream.trainer.loss.LossInputs;
import java.util.Objects;

/**
 * One training example: an anchor and a positive (or, for labelled pairs, two sentences), an
 * optional hard negative and an optional label.
 *
 * @param anchor the anchor, or the first sentence of a labelled pair
 * @param positive the positive, or the second sentence of a labelled pair
 * @param negative a hard negative for the anchor, or {@code null}
 * @param label similarity label (0/1, or a graded score), or {@code null}
 * @param weight how much the example counts in its batch's loss (default 1): losses take the
 *     weighted mean of their per-example terms, so a batch's loss keeps its scale
 */
public record TrainingExample(
    String anchor, String positive, String negative, Float label, float weight) {

  public TrainingExample {
    Objects.requireNonNull(anchor, "anchor");
    Objects.requireNonNull(positive, "positive");
    if (label != null && !Float.isFinite(label)) {
      throw new IllegalArgumentException("label must be finite, got " + label);
    }
    if (!(weight > 0f) || Float.isInfinite(weight)) {
      throw new IllegalArgumentException("weight must be positive and finite, got " + weight);
    }
  }

  /** An example of weight 1. */
  public TrainingExample(String anchor, String positive, String negative, Float label) {
    this(anchor, positive, negative, label, 1f);
  }

  /** This example counting {@code value} times in its batch's loss. */
  public TrainingExample withWeight(float value) {
    return new TrainingExample(anchor, positive, negative, label, value);
  }

  /** An (anchor, positive) pair. */
  public static TrainingExample pair(String anchor, String positive) {
    return new TrainingExample(anchor, positive, null, null);
  }

  /** An (anchor, positive, negative) triplet. */
  public static TrainingExample triplet(String anchor, String positive, String negative) {
    return new TrainingExample(anchor, positive, negative, null);
  }

  /** Two sentences with a label. */
  public static TrainingExample labelled(String sentence1, String sentence2, float label) {
    return new TrainingExample(sentence1, sentence2, null, label);
  }

  /** Why this example cannot train a loss that needs {@code inputs}, or {@code null} if it can. */
  public String unusableFor(LossInputs inputs) {
    return switch (inputs) {
      case ANCHOR_POSITIVE -> null;
      case TRIPLET ->
          negative == null ? "no negative (the loss needs " + inputs.description() + ")" : null;
      case BINARY_LABEL ->
          label == null
              ? "no label (the loss needs " + inputs.description() + ")"
              : label != 0f && label != 1f
                  ? "label " + label + " is not 0 or 1 (use cosent for graded scores)"
                  : null;
      case GRADED_LABEL ->
          label == null ? "no label (the loss needs " + inputs.description() + ")" : null;
    };
  }
}
