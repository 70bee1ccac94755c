package io.twinstream.trainer.loss;

/** What a loss needs from each training example. */
public enum LossInputs {
  /** An anchor and a positive; a hard negative is used when present. */
  ANCHOR_POSITIVE("anchor and positive (negative optional)"),
  /** An anchor, a positive and a negative. */
  TRIPLET("anchor, positive and negative"),
  /** Two sentences and a label that is 0 (dissimilar) or 1 (similar). */
  BINARY_LABEL("two sentences and a label 0 or 1"),
  /** Two sentences and a graded similarity label (any real number, higher = more similar). */
  GRADED_LABEL("two sentences and a graded score");

  private final String description;

  LossInputs(String description) {
    this.description = description;
  }

  /** For error messages: what an example must carry. */
  public String description() {
    return description;
  }
}
