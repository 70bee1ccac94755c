package io.twinstream.trainer;

/** When the trainer uses the gradient cache (see {@link TrainingOptions#gradientCache()}). */
public enum GradientCache {
  /** When a step's padded tokens exceed the token budget. */
  AUTO,
  /** Always: every step is embedded and back-propagated in mini-batches within the token budget. */
  ON,
  /** Never: the whole batch goes through one forward and one backward pass. */
  OFF
}
