package io.twinstream.lifecycle;

import java.time.Duration;
import java.util.Optional;

/** The registry's serving decisions as the lifecycle follows them (from {@code model-updates}). */
public interface ServingDecisions {

  /** The version named by the registry's newest PROMOTED or ROLLED_BACK, if there was one. */
  Optional<String> serving();

  /**
   * Waits until {@link #serving()} may have changed, or {@code timeout} passed.
   *
   * @throws InterruptedException when the waiting thread is interrupted
   */
  void await(Duration timeout) throws InterruptedException;
}
