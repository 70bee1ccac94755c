package io.twinstream.trainer;

/**
 * A fine-tuning round was aborted because its loss, gradients or weights stopped being finite. The
 * model it started from is unchanged; nothing was exported.
 */
public final class TrainingDivergedException extends Exception {

  private final int step;

  public TrainingDivergedException(int step, String message) {
    super(
        "training diverged at step "
            + step
            + ": "
            + message
            + "; the round was aborted and the input model is unchanged (try a lower learning rate)");
    this.step = step;
  }

  /** The optimiser step (1-based) at which it was detected. */
  public int step() {
    return step;
  }
}
