package io.twinstream.trainer;

/** When the trainer uses the gradient cache (see {@link TrainingOptions#gradientCache()}). */
public enum GradientCache {
  /** When a step's estimated activation memory exceeds the activation budget. */
  AUTO,
  /**
   * Always: every step is embedded and back-propagated in mini-batches within the activation
   * budget.
   */
  ON,
  /** Never: the whole batch goes through one forward and one backward pass. */
  OFF
}
