package io.twinstream.trainer;

/** Hears a fine-tuning round's progress; all methods are called on the training thread. */
public interface TrainingListener {

  /** Nothing to hear. */
  TrainingListener NONE = new TrainingListener() {};

  /**
   * An optimiser step finished.
   *
   * @param step 1-based step, of {@code totalSteps}
   * @param loss the step's loss
   * @param learningRate the learning rate the step used
   * @param gradNorm the gradients' global L2 norm before clipping
   */
  default void stepCompleted(
      int epoch, int step, int totalSteps, double loss, double learningRate, double gradNorm) {}

  /** An epoch finished; {@code encoder} holds the weights so far (e.g. to evaluate them). */
  default void epochCompleted(int epoch, double meanLoss, TwinEncoder encoder) {}
}
