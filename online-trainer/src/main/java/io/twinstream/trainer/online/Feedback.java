package io.twinstream.trainer.online;

import java.util.Objects;

/**
 * One piece of feedback for the trainer: an anchor (typically a query), a candidate shown for it,
 * and a label (1 = clicked or otherwise positive, 0 = shown but skipped, in between = graded). The
 * plain-Java twin of the Avro {@code FeedbackPair}.
 *
 * @param anchor the anchor text
 * @param candidate the candidate text
 * @param label similarity label in [0, 1]
 * @param eventTime when the feedback happened (epoch millis)
 * @param weight how much it counts in training (the feedback joiner's inverse propensity; 1 = plain
 *     feedback)
 */
public record Feedback(String anchor, String candidate, float label, long eventTime, float weight) {

  /** Feedback of weight 1. */
  public Feedback(String anchor, String candidate, float label, long eventTime) {
    this(anchor, candidate, label, eventTime, 1f);
  }

  public Feedback {
    Objects.requireNonNull(anchor, "anchor");
    Objects.requireNonNull(candidate, "candidate");
    if (anchor.isBlank() || candidate.isBlank()) {
      throw new IllegalArgumentException("anchor and candidate must not be blank");
    }
    if (!(label >= 0f && label <= 1f)) {
      throw new IllegalArgumentException("label must be in [0, 1], got " + label);
    }
    if (!(weight > 0f) || Float.isInfinite(weight)) {
      throw new IllegalArgumentException("weight must be positive and finite, got " + weight);
    }
  }

  /** Whether this is positive feedback (label at least 0.5). */
  public boolean positive() {
    return label >= 0.5f;
  }

  /** What makes two pieces of feedback the same: anchor and candidate (the later label wins). */
  public String key() {
    return anchor + '\u0000' + candidate;
  }
}
