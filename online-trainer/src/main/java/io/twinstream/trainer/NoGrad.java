package io.twinstream.trainer;

import ai.djl.pytorch.jni.JniUtils;

/**
 * A scope in which PyTorch records no autograd graph (like {@code torch.no_grad()}): for inference
 * with weights that require gradients, and for in-place optimiser updates of those weights.
 * Restores the previous mode on close; use on one thread.
 */
final class NoGrad implements AutoCloseable {

  private final boolean previous;

  private NoGrad(boolean previous) {
    this.previous = previous;
  }

  static NoGrad enter() {
    boolean previous = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    return new NoGrad(previous);
  }

  @Override
  public void close() {
    JniUtils.setGradMode(previous);
  }
}
